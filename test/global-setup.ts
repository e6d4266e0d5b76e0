// Builds the native test fixtures once per run (not once per test file, which would race):
// the C++ stand-in node for the IPC tests and the USDT fixture for the eBPF tests. A fixture that cannot be built is reported as a skip
// reason, which the tests print loudly; CI installs the tools, so there it must build.
import type { TestProject } from "vitest/node";
import { buildStandin, buildUsdtFixture } from "./helpers/build-fixtures.js";

declare module "vitest" {
  export interface ProvidedContext {
    standinNode: { path: string } | { skip: string };
    usdtFixture: { path: string } | { skip: string };
  }
}

export default function setup(project: TestProject): void {
  project.provide("standinNode", buildStandin());
  project.provide("usdtFixture", buildUsdtFixture());
}
