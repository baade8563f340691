"""Overhead of http-statistics under load, in one command.

A server (nginx with 1 worker, `return 200 "ok"`, keep-alive, access log on, unless
--workload names others) is driven at saturation by wrk, in rounds of interleaved
runs, one per variant (variants/):

  A  untraced
  B  traced by the daemon (build/http-statistics), started before the run and
     stopped with SIGTERM after it
  S  B with the programs kernels without bpf_loop load (HS_BPF_LOOP=off)
  C  traced by a hand-written bpftrace script on the syscalls nginx uses
  E  programs that do nothing on the engine's packet hooks (cgroup_skb ingress and
     egress): the floor any design on these hooks pays, under the engine's overhead
  M  the least work a counter of responses can do on those hooks (bench/minimal)
  T  programs that do nothing on tc (tcx ingress and egress): the floor of the other
     hook a packet design could use

Per run it measures throughput, the server worker's CPU per request, wrk's and the
machine's, the daemon's CPU and peak RSS, and (in separate runs, because the
accounting itself costs time) the BPF run time per request. Traced runs are also
checked for exactness: the engine's counts per status, read from the daemon's
/metrics, must equal the server's access log, also for a mixed-status run and a
pipelined run.

Modes: --remote-client puts wrk in its own network namespace and cgroup, so only the
server's side of each connection runs the programs (topology.py); --workload picks
the rounds' workloads (workloads/: ok, static-4k, static-256k, python-app);
--bystanders measures what the engine costs processes it does not count (an iperf3
bulk transfer, a busy wrk).

Modules: common (utilities), readings (/proc, bpftool), processes (children and
their cleanup), servers (nginx, the access log), wrk, topology, measurement (one
run, the BPF run-time window), variants/, workloads/, plan (the rounds), summary,
report and charts, cli.

Results go to <out>/<UTC timestamp>/: results.md, results.json, overhead.png (and
overhead-<workload>.png for further workloads).

Run as root from the repository root after a build:
    bench/overhead.py --pairs 5 --seconds 10 --out results/
    bench/overhead.py --quick --out /tmp/overhead     (a few seconds; for tests)

Free ports only; everything started is stopped, and every temporary directory,
cgroup, network namespace and veth pair removed, also on Ctrl-C and errors.
"""
