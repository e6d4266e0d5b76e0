// What a fleet heuristic raises: an alert about several nodes, keyed by its subject (an address,
// a prefix, a block, a node) so that different subjects are not folded into one.
export interface FleetAlert {
  name: string;
  severity: "info" | "warning" | "critical";
  subject: string;
  detail: string;
}
