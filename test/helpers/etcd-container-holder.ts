// Starts an etcd container cluster, prints one JSON line (container ids, endpoints) and waits for a
// signal. The signal tests kill this process and check what its containers became.
import { startEtcdContainer } from "../../src/providers/containers/etcd-container.js";

const members = Number(process.argv[2] ?? "1");
const etcd = await startEtcdContainer({ members, name: `holder${process.pid}` });
process.stdout.write(
  `${JSON.stringify({ ids: etcd.members.map((m) => m.containerId), endpoints: etcd.endpoints })}\n`,
);
setInterval(() => undefined, 60_000);
