export { guideFeature, sourceStep } from "./guide.js";
export { preflight, type VerifyFromOptions, verifyFrom } from "./verify.js";
