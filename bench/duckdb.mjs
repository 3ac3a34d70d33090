// duckdb.mjs - run one SQL statement with DuckDB, for the benchmarks.
//
//     node bench/duckdb.mjs "COPY (SELECT * FROM read_json_auto('x.ndjson')) TO '/dev/stdout' (FORMAT JSON)"
//
// DuckDB is driven through @duckdb/node-api (installed by bench/run into bench/node_modules)
// because it needs no system package. The statement's result set is not printed: benchmarks
// write their output with COPY ... TO '/dev/stdout', which DuckDB streams itself. DuckDB opens
// that path anew and truncates it: send stdout to a pipe or /dev/null, never append (>>) to a file.
// Exit status: 0 on success, 1 if DuckDB reports an error, 2 on bad usage.

import { DuckDBInstance } from '@duckdb/node-api';

if (process.argv.length !== 3) {
	console.error('usage: node bench/duckdb.mjs SQL');
	process.exit(2);
}

try {
	const instance = await DuckDBInstance.create(':memory:');
	const connection = await instance.connect();
	await connection.run(process.argv[2]);
	connection.closeSync();
	instance.closeSync();
} catch (e) {
	console.error(`duckdb.mjs: ${e.message}`);
	process.exit(1);
}
