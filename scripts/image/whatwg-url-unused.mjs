// Stands in for `whatwg-url` in the image bundle. Its only importer, node-fetch 2 (under
// @kubernetes/client-node), uses it as `Url.URL || whatwgUrl.URL`, and Node always has url.URL:
// the package (with tr46's 260 KB of Unicode tables) was loaded and never called, and kept about
// 5 MB of the agent's memory (measured on the bundle loaded with its code cache).
export default {};
