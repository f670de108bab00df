export { type BundleManifest, type BundleOptions, createBundle, extractBundle } from "./bundle.js";
