import type { Mapping } from "./mapping.js";

/** The round-trip mapping: the target should hold exactly what the source held (before vs after rollback). */
export const identityMapping: Mapping = {
  name: "identity",
  description: "target should equal source (round trip: before migration vs after rollback)",
  preservesOrder: true,
  map(source) {
    return source;
  },
};
