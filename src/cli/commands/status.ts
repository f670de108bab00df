import { isProcessAlive, listSessions } from "../../session/up-session.js";
import { type Command, parseFlags } from "../command.js";

export const statusCommand: Command = {
  name: "status",
  usage: "storeshift status [--json]",
  async run(argv) {
    const { values } = parseFlags("status", argv, { json: { type: "boolean" } });
    const sessions = await listSessions();
    if (values.json) {
      process.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
      return 0;
    }
    if (sessions.length === 0) process.stdout.write("no sessions\n");
    for (const s of sessions) {
      const alive = isProcessAlive(s.ownerPid);
      process.stdout.write(
        `${s.name}: ${alive ? "running" : "stale (owner gone)"}, pid ${s.ownerPid}, since ${s.startedAt}\n`,
      );
      for (const st of s.stores) {
        const up = st.pids.filter((p) => p > 0 && isProcessAlive(p)).length;
        process.stdout.write(
          `  ${st.kind} ${st.version} ${st.endpoints.join(",")} (${up}/${st.pids.length} processes up)\n`,
        );
      }
    }
    return 0;
  },
};
