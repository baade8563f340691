// An engine attached to a cgroup below the root (--cgroup) counts HTTPS only
// for tasks in that cgroup, as its socket programs only see that cgroup's
// sockets: the OpenSSL uprobes fire in every process using the library, and
// the TLS programs leave out the others.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "aggregator.h"
#include "bpf_engine.h"
#include "cgroup.h"
#include "cgroup_dir.h"
#include "kernel_fixture.h"
#include "python_tls_server.h"

namespace hs::test {
namespace {

class TlsCgroupTest : public KernelTest {};

Counts counts_in(const Snapshot& snap, pid_t pid) {
  Counts out;
  if (const ProcessSnapshot* p = find_process(snap, pid))
    for (const auto& [key, stats] : p->series)
      if (stats.count) out[series_name(key)] += stats.count;
  return out;
}

TEST_F(TlsCgroupTest, OnlyTheCgroupsHttpsServersCount) {
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty());
  const CgroupDir cgroup(root);  // declared first: removed after the servers exit
  EngineOptions options;
  options.cgroup_path = cgroup.path();
  BpfEngine engine(options);
  ASSERT_NE(engine.tls_describe().find("uprobes on"), std::string::npos) << engine.tls_describe();
  Aggregator aggregator(engine, {});

  const PythonTlsServer inside(&cgroup);
  const PythonTlsServer outside;
  const auto in =
      curl({inside.base_url() + "/a", inside.base_url() + "/missing", inside.base_url() + "/b"},
           {"--insecure"});
  EXPECT_EQ(in.codes, (std::vector<int>{200, 404, 200}));
  const auto out = curl({outside.base_url() + "/a", outside.base_url() + "/b"}, {"--insecure"});
  EXPECT_EQ(out.codes, (std::vector<int>{200, 200}));

  const auto snap = aggregator.refresh();
  EXPECT_EQ(counts_in(*snap, inside.pid()), (Counts{{"GET 200 https", 2}, {"GET 404 https", 1}}));
  EXPECT_EQ(counts_in(*snap, outside.pid()), Counts{}) << "a server outside the cgroup";
  EXPECT_EQ(counts_in(*snap, in.pid), Counts{}) << "curl, a client outside the cgroup";
  // The engine at the root (the fixture's) still sees both.
  EXPECT_EQ(counts(outside.pid()), (Counts{{"GET 200 https", 2}}));
}

}  // namespace
}  // namespace hs::test
