// The event model: schemas, types, decoding and construction.
export * from "./fields.js";
export * from "./schema.js";
export * from "./rpc-results.js";
export * from "./decode.js";
export * from "./make.js";
export * from "../util/json-depth.js";
export * from "./drop-reasons.js";
export * from "./node-identity.js";
export * from "./fact-source.js";
export * from "./msg-types.js";
