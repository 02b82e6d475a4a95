import { readFileSync } from 'node:fs';

import { err, ok } from '../contract/index.js';
import type { Result } from '../contract/index.js';

import { checkInstances } from './check-instances.js';
import { checkPolicies } from './check-policies.js';
import { ProblemCollector } from './collector.js';
import { parseInstance } from './instances.js';
import type { ConnectorRegistry, ParsedInstance } from './instances.js';
import { problem, sortProblems } from './problems.js';
import { TopLevelSchema } from './schema.js';
import { parseSections } from './sections.js';
import type { RawTopLevel, Sections } from './sections.js';
import type { AppConfig, ConfigProblem, LoadedInstance } from './types.js';
import { readYaml } from './yaml-source.js';

/** The environment a config is interpolated from (`process.env` in the service, a literal in tests). */
export type EnvVars = Readonly<Record<string, string | undefined>>;

export type LoadResult = Result<AppConfig, ConfigProblem[]>;

/** Reads a `NAME_FILE` secret (Docker/Kubernetes secret files). Injected so tests need no files. */
export type SecretFileReader = (path: string) => string;

const readSecret: SecretFileReader = (path) => readFileSync(path, 'utf8').replace(/\r?\n$/, '');

/**
 * Env lookup for `${NAME}`: the variable itself, else the contents of the file named by `NAME_FILE` (so secrets
 * can come from mounted secret files instead of the environment — docs/reliability.md §4 #22).
 */
function envLookup(env: EnvVars, readFile: SecretFileReader): (name: string) => string | undefined {
  return (name) => {
    const direct = env[name];
    if (direct !== undefined) return direct;
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') return undefined;
    try {
      return readFile(file);
    } catch {
      return undefined;
    }
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `templates:` with every entry commented out is YAML null: read it as "no templates", not as an error. */
function withoutEmptySections(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const optional = ['calendars', 'notifiers', 'groups', 'templates', 'retention', 'dedupeTtl'];
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => !(v === null && optional.includes(k))));
}

/** The top-level sections with the right container types (wrong ones were reported by the shell schema). */
function tolerantTopLevel(value: unknown): (RawTopLevel & { instances: unknown[] }) | undefined {
  if (!isRecord(value)) return undefined;
  const record = (k: string) => (isRecord(value[k]) ? (value[k] as Record<string, unknown>) : {});
  const list = (k: string) => (Array.isArray(value[k]) ? (value[k] as unknown[]) : []);
  return {
    calendars: record('calendars'),
    tiers: list('tiers'),
    notifiers: record('notifiers'),
    groups: record('groups'),
    policies: record('policies'),
    templates: record('templates'),
    retention: value['retention'],
    dedupeTtl: value['dedupeTtl'],
    instances: list('instances'),
  };
}

function assemble(source: string, s: Sections, instances: LoadedInstance[], warnings: ConfigProblem[]): AppConfig {
  return {
    source,
    tiers: s.tiers,
    calendars: s.calendars,
    notifiers: s.notifiers,
    groups: s.groups,
    policies: Object.fromEntries(Object.entries(s.policies).map(([name, p]) => [name, p.policy])),
    templates: s.templates,
    instances,
    retention: s.retention,
    dedupeTtlMs: s.dedupeTtlMs,
    warnings,
  };
}

/**
 * Loads `escalator.yaml` text: YAML first, then `${NAME}` / `${NAME:-default}` in string values, then the
 * schemas (shared contract schemas + each instance connector's settings/member schemas), then cross-references.
 * Returns every problem of the file at once (errors and warnings, sorted by line), or the config with its warnings.
 *
 * Four positional parameters (STYLE rule 9 says three): kept because they are the four things every caller has
 * at hand, and an options bag would only rename them.
 */
export function loadConfigText(
  text: string,
  source: string,
  env: EnvVars,
  registry: ConnectorRegistry,
  readFile: SecretFileReader = readSecret,
): LoadResult {
  const yaml = readYaml(text, envLookup(env, readFile));
  if (yaml.value === undefined && yaml.problems.length > 0) return err(sortProblems(yaml.problems));
  const c = new ProblemCollector(yaml.lines, yaml.problems);
  if (yaml.value === undefined || yaml.value === null) {
    c.error([], 'the file is empty (expected tiers, policies and instances)');
    return err(c.problems);
  }
  // The shell reports unknown/missing top-level keys; the sections are checked even then (all problems, one run).
  const value = withoutEmptySections(yaml.value);
  c.parse(TopLevelSchema, value, []);
  const top = tolerantTopLevel(value);
  if (!top) return err(sortProblems(c.problems));
  const sections = parseSections(c, top);
  const parsed: ParsedInstance[] = top.instances.map((raw, i) => parseInstance(c, raw, i, registry));
  checkPolicies(c, sections);
  checkInstances(c, sections, parsed);
  if (c.errorCount > 0) return err(sortProblems(c.problems));
  const instances = parsed.flatMap((p) => (p.loaded ? [p.loaded] : []));
  return ok(assemble(source, sections, instances, sortProblems(c.problems)));
}

/** Reads and loads a config file; an unreadable file is one problem naming it. */
export function loadConfigFile(path: string, env: EnvVars, registry: ConnectorRegistry): LoadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot read (${code ?? String(error)})`;
    return err([problem(path, why, undefined)]);
  }
  return loadConfigText(text, path, env, registry);
}
