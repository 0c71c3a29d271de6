// The Timefence verifier for Node.js and Electron: the native addon napi-rs built from
// src/lib.rs (scripts/test-bindings copies it here as timefence.node).
"use strict";
module.exports = require("./timefence.node");
