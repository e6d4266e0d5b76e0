// Tests that need a tool or a real node say so loudly when they cannot run: a warning in the log
// and a skipped test whose name carries the reason, so the reports show it too.
import { describe, it } from "vitest";

export function reportSkip(title: string, reason: string): void {
  console.warn(`SKIPPING ${title}: ${reason}`);
  describe(title, () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
}
