// peerwatch's own process: memory, CPU, file descriptors, start time, the Node heap and event loop,
// under the names every Prometheus client library exports by default (`process_resident_memory_bytes`,
// `process_cpu_seconds_total`, `nodejs_heap_size_used_bytes` …), so stock dashboards and rules work.
import { collectDefaultMetrics, type Registry } from "prom-client";

/**
 * prom-client's totals of active handles, requests and resources are gauges named `_total`, which
 * Prometheus reserves for counters (promtool flags them). The same figures by type remain
 * (`nodejs_active_handles{type=…}`; their sum is the total).
 */
const MISNAMED = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const n of MISNAMED) registry.removeSingleMetric(n);
}
