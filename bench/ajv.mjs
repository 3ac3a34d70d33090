// bench/ajv.mjs SCHEMA FILE - validate each line of the NDJSON FILE against the JSON Schema
// (draft 2020-12) in SCHEMA with ajv, as a user would write it; prints the number of invalid
// records.
import { readFileSync, createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import Ajv2020 from "ajv/dist/2020.js";

const [schemaFile, file] = process.argv.slice(2);
const validate = new Ajv2020().compile(JSON.parse(readFileSync(schemaFile, "utf8")));
let invalid = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
	if (line && !validate(JSON.parse(line))) invalid++;
}
console.log(invalid);
