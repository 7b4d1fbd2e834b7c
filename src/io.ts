/**
 * A Losant notebook's inputs and outputs as forms: one table of fields per
 * type (from Losant's `notebookPatch.json`, which the tests hold it to), the
 * checks Losant would make, and the code cell that reads an input from
 * `INPUT_DIR`. Pure: the editor (`components/IOEditor.tsx`) renders it.
 *
 * What is checked here is what a user gets wrong while typing: a required
 * field left empty, a file name or id Losant does not take (or a template
 * where none is allowed), JSON that does not parse, a URL that is not one.
 * Lengths and counts (`maxLength`, `maxItems`) are left to the server, which
 * checks the whole schema and names the field all the same.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { INotebookIO, INotebookPatch } from './types';

export type Where = 'inputs' | 'outputs';

/** One field of a form: where it goes in the item, and how it is entered. */
export interface IField {
  name: string;
  label: string;
  /**
   * `area`: text over lines; `list`: one value a line; `tags`: `key=value`
   * a line (Losant's tag objects); `env`: `NAME=value` a line (an object).
   */
  kind:
    | 'text'
    | 'area'
    | 'number'
    | 'json'
    | 'select'
    | 'checkbox'
    | 'list'
    | 'tags'
    | 'env';
  required?: boolean;
  /** What the value (each value of a list) must match... */
  pattern?: RegExp;
  /** ...unless it is a `{{template}}`, where the schema takes one. */
  template?: boolean;
  options?: string[];
}

/** A value as the form holds it: text, or a checkbox's state. */
export type Value = string | boolean;

/** The fields of an item being edited, as entered. */
export interface IValues {
  [field: string]: Value;
}

/** The schema's patterns. */
export const FILE_NAME = /^(?!\.{1,2}$)[\w.-]{1,255}$/;
export const OBJECT_ID = /^[\dA-Fa-f]{24}$/;
export const KEY = /^[\w-]{1,255}$/;
/** A device tag line: `key=value`, `key` or `=value` (the key may be a template). */
export const TAG = /^(?:[\w-]{1,255}|[^=]*{{.+}}[^=]*)?(?:=.{1,255})?$/;
/** Not the schema's (it takes any text): what a download can start from. */
export const URL_PATTERN = /^https?:\/\/[^\s/]+\S*$/;
const TEMPLATE = /{{.+}}/;

/** A name in words: `dataTableId` is "Data table id". */
export const words = (name: string): string =>
  name[0].toUpperCase() +
  name.slice(1).replace(/[A-Z]/g, c => ' ' + c.toLowerCase());

type Spec = Partial<IField> & { key?: string };
const named: Spec = { pattern: FILE_NAME, template: true };
const id: Spec = { pattern: OBJECT_ID, template: true };
const check: Spec = { kind: 'checkbox' };
const number: Spec = { kind: 'number' };

/**
 * Every field of every type, by name (a text field unless said; labelled by
 * its name in words). `result` is executionResult's `fileName`.
 */
const FIELDS: { [name: string]: Spec } = {
  fileName: named,
  directoryName: named,
  deviceIds: { kind: 'list', ...id },
  deviceTags: { kind: 'tags', pattern: TAG },
  attributes: { kind: 'list', pattern: KEY },
  queryJson: { kind: 'json' },
  start: number,
  end: number,
  format: { kind: 'select', options: ['csv', 'json'] },
  dataTableId: id,
  sourceUrl: { pattern: URL_PATTERN, template: true },
  private: check,
  createMissingColumns: check,
  truncateExistingTable: check,
  destinationPrivate: check,
  result: {
    key: 'fileName',
    kind: 'select',
    options: ['html', 'pdf', 'ipynb', 'error.log', 'log'].map(
      e => 'result.' + e
    )
  }
};

/** The notebook's own settings the form edits beside its inputs and outputs. */
export const SETTINGS: IField[] = [
  { name: 'description', label: 'Description', kind: 'area' },
  {
    name: 'imageVersion',
    label: 'Image version',
    kind: 'select',
    required: true,
    options: ['v1', 'v2', 'v3', 'v4']
  }
];

/** An environment variable's name, as a shell takes it. */
export const ENV_NAME = /^[A-Za-z_]\w{0,255}=/;

/** The settings a kind's `notebookOptions` name (Civis's), as fields. */
const OPTIONS: { [name: string]: Partial<IField> } = {
  language: { kind: 'select', options: ['python3', 'r'] },
  memory: { kind: 'number', label: 'Memory (MB)' },
  cpu: { kind: 'number', label: 'CPU (millicores)' },
  idleTimeout: { kind: 'number' },
  requirements: { kind: 'area', label: 'Requirements (requirements.txt)' },
  environmentVariables: { kind: 'env', pattern: ENV_NAME }
};

/**
 * The settings of a connection's notebooks the form edits: Losant's
 * description and image version; else the description and the options
 * its kind takes (`notebookOptions`).
 */
export function settingsOf(connection?: {
  kind: string;
  notebookOptions?: string[];
}): IField[] {
  if (hasNotebookIO(connection?.kind)) {
    return SETTINGS;
  }
  const options = connection?.notebookOptions ?? [];
  return options.length === 0
    ? []
    : [
        SETTINGS[0],
        ...options.map(name => ({
          name,
          label: words(name),
          kind: 'text' as const,
          ...OPTIONS[name]
        }))
      ];
}

/** A setting as the PATCH sends it (and, of the remote's, as compared). */
export const settingOf = (field: IField, value: Value): unknown =>
  parse(field, value) ?? (field.kind === 'env' ? {} : '');

/** Each type's fields, in the form's order; `!` marks a required one. */
export const TYPES: { [where in Where]: { [type: string]: string } } = {
  inputs: {
    deviceData:
      'fileName! deviceIds deviceTags attributes queryJson start! end!',
    deviceConnectionHistory:
      'fileName! deviceIds deviceTags queryJson start! end!',
    deviceMetadata: 'fileName! deviceIds deviceTags queryJson format',
    dataTable: 'fileName! dataTableId! queryJson',
    eventData: 'fileName! queryJson format',
    externalUrl: 'fileName! sourceUrl!',
    applicationFile: 'fileName! filePath! private'
  },
  outputs: {
    dataTable:
      'fileName! dataTableId! createMissingColumns truncateExistingTable',
    file: 'fileName! destinationDirectoryTemplate destinationFileNameTemplate! destinationPrivate',
    directory:
      'directoryName! destinationDirectoryTemplate! destinationPrivate',
    executionResult:
      'result! destinationDirectoryTemplate destinationFileNameTemplate destinationPrivate',
    temporaryUrl: 'fileName!'
  }
};

/** The key of an item's type. */
export const typeKey = (where: Where): 'inputType' | 'outputType' =>
  where === 'inputs' ? 'inputType' : 'outputType';

/** The type of an item (its `inputType` or `outputType`). */
export const typeOf = (where: Where, item: INotebookIO): string =>
  String(item[typeKey(where)] ?? '');

/** The fields of a type (none for a type this table does not know). */
export function fieldsOf(where: Where, type: string): IField[] {
  return (TYPES[where][type] ?? '')
    .split(' ')
    .filter(Boolean)
    .map(spec => {
      const name = spec.replace('!', '');
      const { key, ...field } = FIELDS[name] ?? {};
      return {
        kind: 'text',
        label: words(name),
        ...field,
        name: key ?? name,
        required: spec !== name
      };
    });
}

/** A value of an item as the form shows it. */
export function textOf(field: IField, value: unknown): Value {
  if (field.kind === 'checkbox') {
    return value === true;
  }
  if (field.kind === 'tags' && Array.isArray(value)) {
    return value
      .map(tag =>
        tag.value === undefined ? tag.key : `${tag.key ?? ''}=${tag.value}`
      )
      .join('\n');
  }
  if (field.kind === 'env' && value && typeof value === 'object') {
    return Object.entries(value)
      .map(([name, text]) => `${name}=${text}`)
      .join('\n');
  }
  return Array.isArray(value) ? value.join('\n') : String(value ?? '');
}

/** The form's values of an item. */
export function valuesOf(where: Where, item: INotebookIO): IValues {
  const values: IValues = {};
  for (const field of fieldsOf(where, typeOf(where, item))) {
    values[field.name] = textOf(field, item[field.name]);
  }
  return values;
}

const lines = (value: Value): string[] =>
  String(value)
    .split('\n')
    .map(line => line.trim())
    .filter(Boolean);

/** A value as entered, as the item holds it (undefined: left out). */
function parse(field: IField, value: Value): unknown {
  if (field.kind === 'checkbox' || value === '') {
    return value === '' ? undefined : value;
  }
  if (field.kind === 'number') {
    return Number(value);
  }
  if (field.kind === 'env') {
    return Object.fromEntries(
      lines(value).map(line => [
        line.slice(0, line.indexOf('=')),
        line.slice(line.indexOf('=') + 1)
      ])
    );
  }
  if (field.kind === 'list' || field.kind === 'tags') {
    const list = lines(value);
    return field.kind === 'list'
      ? list
      : list.map(line => {
          const at = line.indexOf('=');
          return at < 0
            ? { key: line }
            : at
              ? { key: line.slice(0, at), value: line.slice(at + 1) }
              : { value: line.slice(1) };
        });
  }
  return value;
}

/**
 * The item to send: the one the remote has, with the form's values over it.
 * A value left as it was stays exactly as it was, and the fields the form
 * does not know (a newer API's) are kept verbatim.
 */
export function toItem(
  where: Where,
  item: INotebookIO,
  values: IValues
): INotebookIO {
  const result: INotebookIO = { ...item };
  for (const field of fieldsOf(where, typeOf(where, item))) {
    const value = values[field.name] ?? textOf(field, undefined);
    if (value !== textOf(field, item[field.name])) {
      const parsed = parse(field, value);
      if (parsed === undefined) {
        delete result[field.name];
      } else {
        result[field.name] = parsed;
      }
    }
  }
  return result;
}

/** What is wrong with one value, as Losant would say it (null: nothing). */
export function problemOf(
  field: IField,
  value: Value,
  trans: TranslationBundle
): string | null {
  if (value === '' || value === false) {
    return field.required ? trans.__('Required.') : null;
  }
  const entered = String(value);
  switch (field.kind) {
    case 'select':
      return field.options!.includes(entered)
        ? null
        : trans.__('One of %1.', field.options!.join(', '));
    case 'number':
      return isFinite(Number(entered)) ? null : trans.__('Not a number.');
    case 'json':
      try {
        JSON.parse(entered);
        return null;
      } catch {
        return trans.__('Not valid JSON.');
      }
    case 'list':
    case 'tags':
    case 'env': {
      const wrong = lines(entered).find(line => unlike(field, line));
      return wrong ? trans.__('"%1": %2', wrong, hint(field, trans)) : null;
    }
  }
  return unlike(field, entered) ? hint(field, trans) : null;
}

/** Whether a value is neither what the pattern takes nor a template. */
function unlike(field: IField, value: string): boolean {
  const template =
    field.template &&
    TEMPLATE.test(value) &&
    value.length >= 4 &&
    value.length <= 255;
  return !!field.pattern && !field.pattern.test(value) && !template;
}

function hint(field: IField, trans: TranslationBundle): string {
  const or = field.template ? trans.__(' (or a {{template}})') : '';
  switch (field.pattern) {
    case FILE_NAME:
      return trans.__('Only letters, digits, _ . -') + or;
    case OBJECT_ID:
      return trans.__('A 24-character hex id') + or;
    case URL_PATTERN:
      return trans.__('An http(s):// URL') + or;
    case TAG:
      return trans.__('key=value, the key of letters, digits, _ -');
    case ENV_NAME:
      return trans.__('NAME=value, the name of letters, digits, _');
  }
  return trans.__('Only letters, digits, _ -');
}

/** An item being edited: the remote's item, and the form's values. */
export interface IDraft {
  item: INotebookIO;
  values: IValues;
}

/**
 * What is wrong with a list of items, by field (`inputs[1].fileName`, as
 * the server names them): each value, and
 * input file names used twice (each is a file of the same `INPUT_DIR`).
 */
export function problemsOf(
  where: Where,
  drafts: IDraft[],
  trans: TranslationBundle
): { [at: string]: string } {
  const problems: { [at: string]: string } = {};
  const seen = new Set<Value>();
  drafts.forEach(({ item, values }, index) => {
    for (const field of fieldsOf(where, typeOf(where, item))) {
      const problem = problemOf(field, values[field.name], trans);
      if (problem) {
        problems[`${where}[${index}].${field.name}`] = problem;
      }
    }
    const name = values.fileName;
    if (where === 'inputs' && name) {
      if (seen.has(name)) {
        problems[`${where}[${index}].fileName`] ??= trans.__(
          'Another input has this file name.'
        );
      }
      seen.add(name);
    }
  });
  return problems;
}

/**
 * The server's field errors by the form's field they concern:
 * `inputs[1].deviceTags[0].key` is about `inputs[1].deviceTags`.
 */
export function serverFields(fields: { [field: string]: string } = {}): {
  [at: string]: string;
} {
  const found: { [at: string]: string } = {};
  for (const [field, problem] of Object.entries(fields)) {
    found[field.replace(/^(\w+\[\d+\]\.\w+)[.[].*/, '$1')] ??= problem;
  }
  return found;
}

/** The patch of what the form changed (`{}`: nothing). */
export function patchOf(
  before: { [key: string]: unknown },
  after: { [key: string]: unknown }
): INotebookPatch {
  const patch: { [key: string]: unknown } = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(after[key]) !== JSON.stringify(before[key])) {
      patch[key] = after[key];
    }
  }
  return patch;
}

/**
 * Whether a kind's notebooks declare inputs and outputs, and an image
 * version, that a PATCH sets (its provider's `notebook_io`: Losant; the
 * others refuse the fields).
 */
export const hasNotebookIO = (kind?: string): boolean => kind === 'losant';

/**
 * A code cell that reads an input from `INPUT_DIR`: pandas for CSV (what
 * Losant writes of device data, connection history, data tables, and of
 * metadata and events by default), json for JSON, else the bytes. Null for
 * a `{{template}}` name, known only when the run starts.
 */
export function readerCode(input: INotebookIO): string | null {
  const name = String(input.fileName ?? '');
  if (!FILE_NAME.test(name)) {
    return null;
  }
  const type = String(input.inputType);
  // What Losant writes: CSV of device data, connection history and data
  // tables, and by default of metadata and events (their `format`); the
  // file itself of a URL or an application file.
  const format = String(
    input.format ??
      (/^(externalUrl|applicationFile)$/.test(type)
        ? name.split('.').pop()!.toLowerCase()
        : 'csv')
  );
  // The file's stem, made a name no keyword, module or digit can spoil
  // (`sales.csv` is `sales_data`; `myData.csv` stays `myData`).
  let variable = name.replace(/\.[^.]*$/, '').replace(/\W/g, '_');
  if (/^\d/.test(variable)) {
    variable = 'data_' + variable;
  } else if (/^[A-Z]?[a-z]*$/.test(variable)) {
    variable += '_data';
  }
  const [imports, read] =
    format === 'csv'
      ? ['\nimport pandas as pd', 'pd.read_csv(PATH)']
      : format === 'json'
        ? ['\nimport json', 'json.load(open(PATH))']
        : ['', "open(PATH, 'rb').read()"];
  return (
    `import os${imports}\n\n${variable} = ` +
    read.replace('PATH', `os.path.join(os.environ['INPUT_DIR'], '${name}')`) +
    (format === 'csv' ? `\n${variable}.head()` : '')
  );
}
