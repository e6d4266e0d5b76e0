// A strict JSON Schema for the dashboards peerwatch ships, written from Grafana's own dashboard
// model (the `Dashboard`, `Panel`, `GridPos`, `DataSourceRef`, `FieldConfigSource` and target types
// of @grafana/schema, schemaVersion 39). Grafana publishes that model as TypeScript types and CUE,
// not as a JSON Schema an npm package ships, so this is a structural check of the same fields:
// required keys present, every key one Grafana knows (no typos such as "gridpos" or "target"),
// types and ranges as Grafana reads them (a 24-column grid, panel types it ships).
export const PANEL_TYPES = [
  "timeseries",
  "stat",
  "gauge",
  "bargauge",
  "table",
  "text",
  "heatmap",
  "histogram",
  "piechart",
  "state-timeline",
  "status-history",
  "barchart",
  "logs",
  "row",
] as const;

const datasourceRef = {
  type: "object",
  required: ["type", "uid"],
  additionalProperties: false,
  properties: { type: { const: "prometheus" }, uid: { type: "string", minLength: 1 } },
};

const target = {
  type: "object",
  required: ["refId", "expr"],
  additionalProperties: false,
  properties: {
    refId: { type: "string", pattern: "^[A-Z]$" },
    expr: { type: "string", minLength: 1 },
    legendFormat: { type: "string" },
    instant: { type: "boolean" },
    range: { type: "boolean" },
    format: { enum: ["time_series", "table", "heatmap"] },
    interval: { type: "string" },
    datasource: datasourceRef,
  },
};

const panel = {
  type: "object",
  required: ["id", "type", "title", "gridPos", "targets", "datasource"],
  additionalProperties: false,
  properties: {
    id: { type: "integer", minimum: 1 },
    type: { enum: PANEL_TYPES },
    title: { type: "string", minLength: 1, maxLength: 80 },
    description: { type: "string" },
    datasource: datasourceRef,
    gridPos: {
      type: "object",
      required: ["x", "y", "w", "h"],
      additionalProperties: false,
      properties: {
        x: { type: "integer", minimum: 0, maximum: 23 },
        y: { type: "integer", minimum: 0 },
        w: { type: "integer", minimum: 1, maximum: 24 },
        h: { type: "integer", minimum: 1 },
      },
    },
    fieldConfig: {
      type: "object",
      required: ["defaults", "overrides"],
      additionalProperties: false,
      properties: {
        defaults: { type: "object", properties: { unit: { type: "string" }, min: { type: "number" }, max: { type: "number" }, decimals: { type: "integer" } } },
        overrides: { type: "array" },
      },
    },
    options: { type: "object" },
    targets: { type: "array", minItems: 1, maxItems: 26, items: target },
    interval: { type: "string" },
    maxDataPoints: { type: "integer" },
    transparent: { type: "boolean" },
  },
};

export const DASHBOARD_SCHEMA = {
  type: "object",
  required: ["uid", "title", "schemaVersion", "panels", "time", "templating"],
  additionalProperties: false,
  properties: {
    id: { type: ["integer", "null"] },
    uid: { type: "string", pattern: "^[a-zA-Z0-9_-]{1,40}$" },
    title: { type: "string", minLength: 1 },
    description: { type: "string" },
    tags: { type: "array", items: { type: "string" } },
    schemaVersion: { type: "integer", minimum: 36 },
    version: { type: "integer", minimum: 0 },
    editable: { type: "boolean" },
    graphTooltip: { enum: [0, 1, 2] },
    timezone: { type: "string" },
    refresh: { type: "string", pattern: "^(\\d+[smhd])?$" },
    time: { type: "object", required: ["from", "to"], additionalProperties: false, properties: { from: { type: "string" }, to: { type: "string" } } },
    templating: {
      type: "object",
      required: ["list"],
      additionalProperties: false,
      properties: {
        list: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "type"],
            properties: {
              name: { type: "string" },
              type: { enum: ["datasource", "query", "custom", "constant", "interval", "textbox", "adhoc"] },
              query: {},
              label: { type: "string" },
            },
          },
        },
      },
    },
    annotations: { type: "object" },
    links: { type: "array" },
    panels: { type: "array", minItems: 1, items: panel },
  },
} as const;
