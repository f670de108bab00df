import { formatDoctor, runDoctor } from "../../doctor/doctor.js";
import { type Command, parseFlags } from "../command.js";

export const doctorCommand: Command = {
  name: "doctor",
  usage:
    "storeshift doctor [--json]\n\nExit 0 when the local backend can run now, 1 when something must be installed first.",
  async run(argv) {
    const { values } = parseFlags("doctor", argv, { json: { type: "boolean" } });
    const report = await runDoctor();
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report));
    return report.localReady ? 0 : 1;
  },
};
