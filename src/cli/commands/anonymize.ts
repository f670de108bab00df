import { randomBytes } from "node:crypto";
import { anonymizeFile } from "../../anonymize/index.js";
import { InputError } from "../../common/errors.js";
import { type Command, parseFlags } from "../command.js";

export const anonymizeCommand: Command = {
  name: "anonymize",
  usage: `storeshift anonymize --in SOURCE --out FILE [--key KEY]

Rewrites names, namespaces, labels, annotations, node names, handle ids, IPs and CIDRs consistently
(the same input and key give the same output), so the data still reproduces the same differences:
CIDR containment and block sizes, orchRef/node, handle and tier relations, and v2 key paths and
values stay coherent. Words Calico gives a meaning to (default, kns., ipip-tunnel-addr-, ...) stay.

  SOURCE: a v2 JSON dump (→ a v2 dump), a Calico export file (→ an export file), an etcd snapshot
          or an etcd endpoint URL (→ a snapshot, via a private etcd). The input is only read.
  --key   the secret the rewrite is keyed with (or STORESHIFT_ANON_KEY); without one a random key is
          used and printed, so more data can be rewritten the same way later.

Exit codes: 0 written, 2 bad input (nothing written).`,
  async run(argv) {
    const { values } = parseFlags("anonymize", argv, {
      in: { type: "string" },
      out: { type: "string", short: "o" },
      key: { type: "string" },
    });
    if (typeof values.in !== "string") throw new InputError("anonymize: --in SOURCE is required");
    if (typeof values.out !== "string") throw new InputError("anonymize: --out FILE is required");
    let key = (values.key as string | undefined) ?? process.env.STORESHIFT_ANON_KEY;
    if (key === "") throw new InputError("anonymize: --key must not be empty");
    if (key === undefined) {
      key = randomBytes(16).toString("hex");
      process.stderr.write(
        `storeshift: anonymize: no --key given; used ${key} (pass it as --key to rewrite more data the same way)\n`,
      );
    }
    const result = await anonymizeFile(values.in, values.out, key);
    process.stdout.write(`${result.out}: ${result.kind}, ${result.detail}\n`);
    return 0;
  },
};
