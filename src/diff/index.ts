export * from "./config.js";
export * from "./defaults.js";
export * from "./engine.js";
export * from "./identity.js";
export * from "./mapping.js";
export * from "./match.js";
export * from "./rules.js";
