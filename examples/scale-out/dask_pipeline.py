#!/usr/bin/python3
"""dask_pipeline.py - an etl pipeline over many input files on a Dask cluster.

    dask_pipeline.py (--scheduler ADDR | --scheduler-file F | --local N)
                     --map 'CMD' --merge 'CMD' [-o OUT] FILE...

A Dask bag holds the input files, one partition per file.  map_partitions
pipes each file through --map, a shell command that reads NDJSON on its
standard input and writes a partial state on its standard output (etl-agg
--partial, etl-top --partial, etl-validate --partial); the partial states,
in the order of the files, are then merged by --merge (etl-agg --merge ...)
in one task on one worker, and its output is written to OUT (or standard
output).  Merging the partial states of the files in their order gives
exactly, byte for byte, what one process gives on the files concatenated.

Commands run on the workers with /bin/sh, so the etl programs must be on the
workers' PATH (or named by the command: 'PATH=/opt/etl/bin:$PATH; ...').
The workers read the input files themselves: the files must be on a
filesystem they share with the client (NFS, the same machine).  A command
that fails fails its task with the command's status and its standard error;
a worker that dies takes its running tasks with it, and Dask runs them again
on another worker (up to --retries more times for a failing task).

Exit status: 0, 1 when the pipeline failed, 2 for a usage error.
"""
import argparse
import os
import subprocess
import sys

import dask
import dask.bag as db
from distributed import Client, LocalCluster


class CommandFailed(Exception):
    pass


def run(cmd, data):
    """The standard output of the shell command cmd fed data, or raise."""
    p = subprocess.run(["/bin/sh", "-c", cmd], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise CommandFailed("%r failed with status %d: %s"
                            % (cmd, p.returncode, p.stderr.decode(errors="replace").strip()))
    return p.stdout


def map_files(files, cmd):
    """One partition: its files' bytes through cmd, a list of one state."""
    states = []
    for name in files:
        with open(name, "rb") as f:
            states.append(run(cmd, f.read()))
    return states


def merge_states(parts, cmd):
    """The states of every partition, in order, through cmd."""
    return run(cmd, b"".join(s for part in parts for s in part))


def pipeline(client, files, map_cmd, merge_cmd, retries):
    bag = db.from_sequence(files, npartitions=len(files))
    states = bag.map_partitions(map_files, map_cmd).to_delayed()
    merged = dask.delayed(merge_states)(states, merge_cmd)
    return client.compute(merged, retries=retries).result()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="the scheduler's address (tcp://HOST:PORT)")
    where.add_argument("--scheduler-file", help="the file `dask scheduler` wrote")
    where.add_argument("--local", type=int, metavar="N",
                       help="a LocalCluster of N worker processes on loopback")
    ap.add_argument("--map", required=True, help="the command each file goes through")
    ap.add_argument("--merge", required=True, help="the command the states go through")
    ap.add_argument("--retries", type=int, default=2, help="retries of a failing task")
    ap.add_argument("-o", "--output", help="write the result there (default: stdout)")
    ap.add_argument("files", nargs="+", metavar="FILE")
    a = ap.parse_args()

    cluster = None
    if a.local:
        cluster = LocalCluster(n_workers=a.local, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    elif a.scheduler_file:
        client = Client(scheduler_file=a.scheduler_file)
    else:
        client = Client(a.scheduler)
    try:
        out = pipeline(client, a.files, a.map, a.merge, a.retries)
    except Exception as e:  # a task's own exception, raised again here
        print("dask_pipeline.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        client.close()
        if cluster:
            cluster.close()
    if a.output:
        with open(a.output + ".tmp", "wb") as f:
            f.write(out)
        os.replace(a.output + ".tmp", a.output)
    else:
        sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
