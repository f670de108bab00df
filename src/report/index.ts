export * from "./format.js";
export * from "./from-diff.js";
export * from "./html.js";
export * from "./junit.js";
export * from "./markdown.js";
export * from "./redact.js";
export * from "./result.js";
export * from "./write.js";
