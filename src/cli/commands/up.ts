import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { connectionHints, startSession } from "../../session/up-session.js";
import { type Command, parseFlags } from "../command.js";

export const upCommand: Command = {
  name: "up",
  usage: `storeshift up [--name NAME] [--etcd v2|v3|none] [--members N] [--no-kube] [--json]

Starts etcd (v2: 3.4.23 with --enable-v2; v3: 3.6) and a local Kubernetes control plane,
prints endpoints, the kubeconfig path, env exports and ready-to-paste etcdctl/kubectl commands,
then waits. Ctrl-C, SIGTERM or \`storeshift down NAME\` stops everything and removes the temp dirs.`,
  async run(argv) {
    const { values } = parseFlags("up", argv, {
      name: { type: "string", default: "dev" },
      etcd: { type: "string", default: "v3" },
      members: { type: "string", default: "1" },
      "no-kube": { type: "boolean" },
      json: { type: "boolean" },
    });
    const etcd = String(values.etcd);
    if (etcd !== "v2" && etcd !== "v3" && etcd !== "none") {
      throw new InputError(`up: --etcd ${etcd}: expected v2, v3 or none`);
    }
    const members = Number(values.members);
    if (!Number.isInteger(members) || members < 1 || members > 9) {
      throw new InputError(`up: --members ${values.members}: expected a whole number from 1 to 9`);
    }
    const session = await startSession({
      name: String(values.name),
      etcd,
      members,
      kube: !values["no-kube"],
    });
    if (values.json) process.stdout.write(`${JSON.stringify(session.record)}\n`);
    else process.stdout.write(connectionHints(session.record));
    log.info(
      `stores up (session ${session.record.name}, pid ${process.pid}); Ctrl-C or \`storeshift down\` stops them`,
    );
    // stay alive until a signal: the cleanup registry stops the stores and exits
    await new Promise<never>(() => {
      setInterval(() => {}, 1 << 30);
    });
    return 0;
  },
};
