// The tools' settings files (alert thresholds, IP lists), read before anything starts: a bad
// thresholds file stops the command (exit 2); unreadable list lines are only reported.
import type { Logger } from "../logger.js";
import { loadThresholds, type Thresholds } from "../tools/alerts/thresholds.js";
import { loadIpLists, type LoadedLists } from "../tools/iplists/load-lists.js";

export function loadToolSettings(config: { alerts?: string; ipLists?: string }, log: Logger): { thresholds: Thresholds; lists: LoadedLists } | undefined {
  let thresholds;
  try {
    thresholds = loadThresholds(config.alerts);
  } catch (e) {
    log.error((e as Error).message);
    return undefined;
  }
  const lists = loadIpLists(config.ipLists);
  for (const err of lists.errors) log.warn(`IP lists: ${err}`);
  log.debug({ lists: lists.names, ranges: lists.tree.size }, "IP lists loaded");
  return { thresholds, lists };
}
