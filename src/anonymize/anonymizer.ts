import { createHmac } from "node:crypto";
import { CALICO_KINDS } from "../calico/kinds.js";
import { IP_PATTERN, IpRewriter, rewriteIpMatch } from "./ip.js";

/**
 * Consistent keyed rewriting of names. Two passes: `collect` gathers the word tokens that identify
 * something (names, namespaces, nodes, labels, handles, key path segments), then `rewrite` replaces
 * every occurrence of exactly those tokens in any string, and every IP address, the same way
 * everywhere. Relations that hold by equal names (orchRef → node, handle → node, policy → tier,
 * profile kns.<namespace> → namespace, selector → label) therefore still hold afterwards.
 *
 * A token keeps its length and the class of each character (lower, upper, digit; hex stays hex),
 * so names stay valid DNS labels and values keep their sizes. The mapping is injective, and never
 * produces a word that appears unrewritten in the data or a word Calico gives a meaning to.
 */

/** Words Calico, Kubernetes and etcd give a meaning to; never rewritten. */
const KEEP = new Set([
  ...CALICO_KINDS.flatMap((k) => [k.kind.toLowerCase(), k.plural]),
  ...["default", "node", "nodes", "host", "k8s", "kns", "ksa", "knp", "ossg", "ipip", "vxlan", "wireguard"],
  ...["tunnel", "addr", "pod", "network", "calico", "projectcalico", "org", "kubernetes", "kube", "system"],
  ...["public", "lease", "tigera", "operator", "allow", "global", "staged", "all", "has", "true", "false"],
  ...["ipam", "resources", "assignment", "block", "handle", "ipv4", "ipv6", "config", "virtual", "namespace"],
  ...["serviceaccount", "orchestrator", "registry", "name", "libnetwork", "docker", "cni", "openstack"],
  ...["felix", "typha", "bgp", "apiserver", "controllers", "local", "svc", "cluster", "status", "v1", "v2"],
  ...["v3", "www", "http", "https", "com", "net", "and", "not"],
  // the tiers lock creates when they are missing (kube-admin, kube-baseline): renamed, they would be created again
  ...["admin", "baseline"],
]);

const TOKEN = /[A-Za-z0-9]+/g;
const MIN_TOKEN = 3;

export class Anonymizer {
  private readonly ip: IpRewriter;
  private readonly identifying = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly protectedTokens = new Set<string>();
  private mapping: Map<string, string> | undefined;

  /** `largestBlock`: the shortest IPAM block prefix per IP family in the data (see IpRewriter). */
  constructor(
    private readonly key: string,
    largestBlock: { 4?: number; 6?: number } = {},
  ) {
    this.ip = new IpRewriter(key, largestBlock);
  }

  /** Marks every word token of `text` as identifying (to be rewritten). */
  collect(text: string): void {
    // numbers (ports, prefix lengths, ASNs, dates) identify nothing; addresses are rewritten apart
    for (const t of text.replace(IP_PATTERN, " ").match(TOKEN) ?? [])
      if (t.length >= MIN_TOKEN && !/^\d+$/.test(t) && !KEEP.has(t.toLowerCase())) this.identifying.add(t);
  }

  /** Tokens of a field name: never rewritten, whatever else they appear in. */
  protect(text: string): void {
    for (const t of text.match(TOKEN) ?? []) this.protectedTokens.add(t);
  }

  /** Notes the tokens of text that stays as it is, so no rewritten token can become one of them. */
  observe(text: string): void {
    for (const t of text.match(TOKEN) ?? []) this.seen.add(t);
  }

  /** The token mapping, fixed on first use: tokens in sorted order, so it depends only on the data and key. */
  private tokens(): Map<string, string> {
    if (this.mapping) return this.mapping;
    const rewritten = [...this.identifying].filter((t) => !this.protectedTokens.has(t)).sort();
    const willChange = new Set(rewritten);
    const reserved = new Set<string>(
      [...this.seen, ...this.protectedTokens].filter((t) => !willChange.has(t)),
    );
    for (const k of KEEP) reserved.add(k);
    const used = new Set<string>();
    const mapping = new Map<string, string>();
    for (const token of rewritten) {
      for (let attempt = 0; ; attempt++) {
        const candidate = shapeLike(
          token,
          createHmac("sha256", this.key).update(`${token}#${attempt}`).digest(),
        );
        if (used.has(candidate) || reserved.has(candidate) || reserved.has(candidate.toLowerCase())) {
          if (attempt > 50)
            throw new Error(`anonymise: no free rewrite for a ${token.length}-character token`);
          continue;
        }
        used.add(candidate);
        mapping.set(token, candidate);
        break;
      }
    }
    this.mapping = mapping;
    return mapping;
  }

  /** Every IP address and identifying token in `text`, rewritten. */
  rewrite(text: string): string {
    const mapping = this.tokens();
    let out = "";
    let last = 0;
    for (const m of text.matchAll(IP_PATTERN)) {
      const at = m.index ?? 0;
      const ip = rewriteIpMatch(this.ip, m[1] ?? "", m[2]);
      if (ip === undefined) continue;
      out += rewriteTokens(text.slice(last, at), mapping) + ip;
      last = at + m[0].length;
    }
    return out + rewriteTokens(text.slice(last), mapping);
  }

  /** How many distinct tokens are rewritten (for the command's summary line). */
  get rewrittenTokens(): number {
    return this.tokens().size;
  }
}

function rewriteTokens(text: string, mapping: Map<string, string>): string {
  return text.replace(TOKEN, (t) => mapping.get(t) ?? t);
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGIT = "0123456789";
const HEX = "0123456789abcdef";

/** A token of the same length and character classes, drawn from keyed bytes. */
function shapeLike(token: string, bytes: Buffer): string {
  let stream = bytes;
  let pos = 0;
  const next = (): number => {
    if (pos >= stream.length) {
      stream = createHmac("sha256", stream).update("more").digest();
      pos = 0;
    }
    return stream[pos++] ?? 0;
  };
  // uid and container-id segments stay hex
  const hex = token.length >= 4 && /^[0-9a-f]+$/.test(token);
  let out = "";
  for (const ch of token) {
    const alphabet = hex ? HEX : ch >= "a" && ch <= "z" ? LOWER : ch >= "A" && ch <= "Z" ? UPPER : DIGIT;
    out += alphabet[next() % alphabet.length];
  }
  return out;
}
