// The README's flag tables and commander's options, both made from an option table.
import { Option, type Command } from "commander";
import { envName, type OptionTable } from "../config/options.js";

/** Adds one commander option per row (and `--no-<flag>` where a row is negatable). */
export function addOptions(cmd: Command, table: OptionTable): Command {
  for (const o of Object.values(table)) {
    const tail = [o.defaultText ? `default: ${o.defaultText}` : "", o.flagOnly ? "" : `env ${envName(o)}`].filter(Boolean).join("; ");
    cmd.addOption(new Option(`--${o.flag}${o.arg ? ` <${o.arg}>` : ""}`, `${o.description}${tail ? ` (${tail})` : ""}`));
    if (o.negatable) cmd.addOption(new Option(`--no-${o.flag}`, o.negatable));
  }
  return cmd;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");
/** Placeholders such as <datadir> would read as HTML: show them as code. */
const prose = (s: string) => cell(s).replace(/(?<!`)<[^<>\s]+>(?!`)/g, (m) => `\`${m}\``);

/** The markdown flag table of a command, as the README shows it. */
export function flagsMarkdown(table: OptionTable): string {
  const rows = ["| flag | default | what it does |", "|---|---|---|"];
  for (const o of Object.values(table)) {
    rows.push(`| \`--${o.flag}${o.arg ? ` <${cell(o.arg)}>` : ""}\` | ${o.defaultText ? `\`${cell(o.defaultText)}\`` : "none"} | ${prose(o.description)} |`);
    if (o.negatable) rows.push(`| \`--no-${o.flag}\` | none | ${prose(o.negatable)} |`);
  }
  return rows.join("\n");
}

/** Markers around a generated table in the README: `<!-- flags:observe -->` … `<!-- /flags:observe -->`. */
export function flagsBlock(command: string, table: OptionTable): string {
  return `<!-- flags:${command} -->\n${flagsMarkdown(table)}\n<!-- /flags:${command} -->`;
}
