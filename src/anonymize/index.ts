export { Anonymizer } from "./anonymizer.js";
export { type AnonymizeResult, anonymizeFile } from "./files.js";
export { anonymizeCalicoExport, anonymizeEntries, anonymizeV2Tree, largestBlocks } from "./formats.js";
export { ANON_BITS, IpRewriter } from "./ip.js";
