// IP lists are text files in data/iplists/: one CIDR range (or address) per line, '#' comments.
// The file name without .txt is the list's name (a metric label and an alert detail).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readBoundedFile } from "../config/bounded-file.js";
import { PrefixTree } from "./prefix-tree.js";

/** Largest list file read: a few hundred thousand ranges. */
const MAX_LIST_BYTES = 16 * 1024 * 1024;

export const DEFAULT_LISTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../data/iplists");

export interface LoadedLists {
  tree: PrefixTree;
  names: string[];
  /** Lines that are not ranges, with file and line number: reported, not fatal. */
  errors: string[];
}

export function loadIpLists(dir = DEFAULT_LISTS_DIR): LoadedLists {
  const tree = new PrefixTree();
  const names: string[] = [];
  const errors: string[] = [];
  let files: string[] = [];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".txt"))
      .sort();
  } catch (e) {
    errors.push(`cannot read IP list folder ${dir}: ${(e as NodeJS.ErrnoException).code}`);
  }
  for (const f of files) {
    const name = f.replace(/\.txt$/, "");
    let text: string;
    try {
      text = readBoundedFile(path.join(dir, f), MAX_LIST_BYTES, "IP list");
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    names.push(name);
    text.split("\n").forEach((raw, i) => {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) return;
      try {
        tree.add(line, name);
      } catch (e) {
        errors.push(`${f}:${i + 1}: ${(e as Error).message}`);
      }
    });
  }
  return { tree, names, errors };
}
