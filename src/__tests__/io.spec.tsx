/**
 * The inputs and outputs forms: the table of fields against Losant's own
 * schema (the copy the server validates with), each type's checks, the
 * round trip that keeps what the form does not know, the cell that reads an
 * input, and the panel's editor: the PATCH it sends and the server's field
 * errors beside their fields.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as fs from 'fs';
import * as path from 'path';

import {
  fieldsOf,
  IField,
  problemOf,
  problemsOf,
  readerCode,
  serverFields,
  textOf,
  toItem,
  TYPES,
  Value,
  valuesOf,
  Where
} from '../io';
import { RemoteModel } from '../model';
import { INotebookIO, IRemoteNotebook } from '../types';
import { RemotePanel } from '../widgets/RemotePanel';
import {
  connection,
  FakeNotebook,
  FakeServer,
  json,
  linkedNotebook,
  modelOf,
  NB_ID,
  OTHER_NB_ID,
  settle
} from './fakes';

const trans = nullTranslator.load('jupyter_notebook_remote');

/** Losant's notebookPatch.json as shipped with the server extension. */
const SCHEMA = JSON.parse(
  fs.readFileSync(
    path.join(
      __dirname,
      '../../jupyter_notebook_remote/providers/losant/schemas/notebookPatch.json'
    ),
    'utf-8'
  )
);
const TYPE_KEY = { inputs: 'inputType', outputs: 'outputType' };

type Schema = { [key: string]: any };

/** Each type's schema (the branch of the `oneOf` its type enum names). */
function branches(where: Where): Map<string, Schema> {
  const found = new Map<string, Schema>();
  for (const branch of SCHEMA.properties[where].items.oneOf) {
    found.set(branch.properties[TYPE_KEY[where]].enum[0], branch);
  }
  return found;
}

/** Whether a value is what the schema takes (the part of JSON Schema Losant's file uses). */
function accepts(schema: Schema, value: unknown): boolean {
  if (schema.oneOf) {
    return schema.oneOf.filter((s: Schema) => accepts(s, value)).length === 1;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    return false;
  }
  switch (schema.type) {
    case 'string':
      return (
        typeof value === 'string' &&
        value.length >= (schema.minLength ?? 0) &&
        value.length <= (schema.maxLength ?? Infinity) &&
        (!schema.pattern || new RegExp(schema.pattern).test(value))
      );
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return (
        Array.isArray(value) &&
        value.length <= (schema.maxItems ?? Infinity) &&
        value.every(v => accepts(schema.items, v))
      );
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        return false;
      }
      const item = value as { [key: string]: unknown };
      return (
        (schema.required ?? []).every((k: string) => k in item) &&
        Object.entries(item).every(([k, v]) =>
          schema.properties[k]
            ? accepts(schema.properties[k], v)
            : schema.additionalProperties !== false
        )
      );
    }
  }
  return true;
}

/** The form's field of a type by name. */
const field = (where: Where, type: string, name: string): IField =>
  fieldsOf(where, type).find(f => f.name === name)!;

/** Values a user may enter, for each kind of field, good and bad. */
const SAMPLES: { [name: string]: unknown[] } = {
  fileName: [
    'data.csv',
    'my-data_2.json',
    '.',
    '..',
    'my data.csv',
    'a/b.csv',
    'ünï.csv',
    '{{ctx.name}}.csv',
    '{{}}'
  ],
  directoryName: ['charts', 'a b', '{{ctx.dir}}'],
  dataTableId: [
    '575ec8687ae143cd83dc4a97',
    '575ec8687ae143cd83dc4a9',
    'zzzec8687ae143cd83dc4a97',
    '{{ctx.table}}'
  ],
  deviceIds: [
    ['575ec8687ae143cd83dc4a97'],
    ['575ec8687ae143cd83dc4a97', '{{data.id}}'],
    ['not-an-id']
  ],
  attributes: [['temp', 'humidity_2'], ['te mp'], ['{{ctx.attr}}']],
  deviceTags: [
    [{ key: 'floor', value: '8' }],
    [{ key: 'floor' }],
    [{ value: '8' }],
    [{ key: '{{ctx.tag}}', value: '8' }],
    [{ key: 'fl oor', value: '8' }],
    [{ key: 'floor', value: '' }]
  ],
  start: [-86400000, 0],
  end: [0],
  format: ['csv', 'json'],
  sourceUrl: ['https://example.com/a.csv', '{{ctx.url}}'],
  filePath: ['/reports/a.csv'],
  private: [true, false],
  queryJson: ['{"$and":[{"name":"a"}]}'],
  destinationDirectoryTemplate: ['/{{notebook.name}}'],
  destinationFileNameTemplate: ['{{execution.id}}.csv'],
  destinationPrivate: [true],
  createMissingColumns: [true],
  truncateExistingTable: [false]
};

/** The smallest item of a type that the schema takes. */
function minimal(where: Where, type: string): INotebookIO {
  const item: INotebookIO = { [TYPE_KEY[where]]: type };
  for (const f of fieldsOf(where, type).filter(f => f.required)) {
    item[f.name] =
      f.kind === 'select'
        ? f.options![0]
        : f.kind === 'number'
          ? 0
          : f.name === 'sourceUrl'
            ? 'https://example.com/x'
            : f.name.endsWith('Id')
              ? '575ec8687ae143cd83dc4a97'
              : f.name === 'filePath' || f.name.endsWith('Template')
                ? '/x'
                : 'x.csv';
  }
  return item;
}

describe('the field table', () => {
  for (const where of ['inputs', 'outputs'] as Where[]) {
    it(`has every ${where} type of the schema, with its fields and required ones`, () => {
      const schema = branches(where);
      expect(Object.keys(TYPES[where]).sort()).toEqual(
        [...schema.keys()].sort()
      );
      for (const [type, branch] of schema) {
        const fields = fieldsOf(where, type);
        const names = Object.keys(branch.properties).filter(
          k => k !== TYPE_KEY[where]
        );
        expect(fields.map(f => f.name).sort()).toEqual(names.sort());
        expect(
          fields
            .filter(f => f.required)
            .map(f => f.name)
            .sort()
        ).toEqual(
          branch.required.filter((k: string) => k !== TYPE_KEY[where]).sort()
        );
        for (const f of fields) {
          const property = branch.properties[f.name];
          const kind =
            property.type === 'boolean'
              ? 'checkbox'
              : property.type === 'number'
                ? 'number'
                : property.enum
                  ? 'select'
                  : f.name === 'deviceTags'
                    ? 'tags'
                    : property.type === 'array'
                      ? 'list'
                      : f.name === 'queryJson'
                        ? 'json'
                        : 'text';
          expect([type, f.name, f.kind]).toEqual([type, f.name, kind]);
          if (property.enum) {
            expect(f.options).toEqual(property.enum);
          }
          expect(f.label).toMatch(/^[A-Z][a-z ]+$/);
        }
      }
    });

    it(`refuses in ${where} what the schema refuses, and takes what it takes`, () => {
      for (const [type, branch] of branches(where)) {
        for (const f of fieldsOf(where, type)) {
          for (const sample of SAMPLES[f.name] ?? []) {
            const ok = problemOf(f, textOf(f, sample), trans) === null;
            const schemaOk = accepts(branch.properties[f.name], sample);
            expect([type, f.name, sample, ok]).toEqual([
              type,
              f.name,
              sample,
              schemaOk
            ]);
          }
        }
        // The smallest item is whole; without any one required field it is not.
        const item = minimal(where, type);
        expect([type, accepts(branch, item)]).toEqual([type, true]);
        expect(
          problemsOf(where, [{ item, values: valuesOf(where, item) }], trans)
        ).toEqual({});
        for (const f of fieldsOf(where, type).filter(f => f.required)) {
          const values = { ...valuesOf(where, item), [f.name]: '' };
          expect(problemsOf(where, [{ item, values }], trans)).toEqual({
            [`${where}[0].${f.name}`]: 'Required.'
          });
          const without = { ...item };
          delete without[f.name];
          expect(accepts(branch, without)).toBe(false);
        }
      }
    });
  }

  it('refuses what Losant would refuse beyond the schema: bad JSON, a bad URL, a name twice', () => {
    const query = field('inputs', 'dataTable', 'queryJson');
    expect(problemOf(query, '{"name": "a"}', trans)).toBeNull();
    expect(problemOf(query, '{name: a}', trans)).toBe('Not valid JSON.');
    const url = field('inputs', 'externalUrl', 'sourceUrl');
    expect(problemOf(url, 'example.com/a.csv', trans)).toMatch(/URL/);
    expect(problemOf(url, 'https://', trans)).toMatch(/URL/);
    const start = field('inputs', 'deviceData', 'start');
    expect(problemOf(start, '-1 day', trans)).toBe('Not a number.');
    const a = minimal('inputs', 'eventData');
    const b = minimal('inputs', 'dataTable');
    expect(
      problemsOf(
        'inputs',
        [a, b].map(item => ({ item, values: valuesOf('inputs', item) })),
        trans
      )
    ).toEqual({ 'inputs[1].fileName': 'Another input has this file name.' });
  });

  it('names what is wrong, and the line of a list', () => {
    const ids = field('inputs', 'deviceData', 'deviceIds');
    expect(problemOf(ids, '575ec8687ae143cd83dc4a97\nnot-an-id', trans)).toBe(
      '"not-an-id": A 24-character hex id (or a {{template}})'
    );
    const name = field('outputs', 'file', 'fileName');
    expect(problemOf(name, 'a b.csv', trans)).toBe(
      'Only letters, digits, _ . - (or a {{template}})'
    );
    const attributes = field('inputs', 'deviceData', 'attributes');
    expect(problemOf(attributes, '{{ctx.attr}}', trans)).toBe(
      '"{{ctx.attr}}": Only letters, digits, _ -'
    );
  });
});

/** An item of each type with every field set, and one the form does not know. */
function full(where: Where, type: string): INotebookIO {
  const item: INotebookIO = { [TYPE_KEY[where]]: type };
  for (const f of fieldsOf(where, type)) {
    item[f.name] = SAMPLES[f.name]?.[0] ?? minimal(where, type)[f.name];
  }
  item.futureField = { kept: ['as', 'it', 'was'] };
  return item;
}

describe('the round trip', () => {
  for (const where of ['inputs', 'outputs'] as Where[]) {
    for (const type of Object.keys(TYPES[where])) {
      it(`keeps a ${where} ${type} as it was, and what the form does not know`, () => {
        const item = full(where, type);
        const values = valuesOf(where, item);
        expect(JSON.stringify(toItem(where, item, values))).toBe(
          JSON.stringify(item)
        );
        // An edit changes that field only.
        const [first] = fieldsOf(where, type).filter(
          f => f.kind !== 'checkbox'
        );
        const edited: Value =
          first.kind === 'select' ? first.options![1] : 'other.csv';
        const out = toItem(where, item, { ...values, [first.name]: edited });
        expect(out).toEqual({ ...item, [first.name]: edited });
        expect(out.futureField).toBe(item.futureField);
      });
    }
  }

  it('writes what was entered as Losant wants it', () => {
    const item = { inputType: 'deviceData' };
    const out = toItem('inputs', item, {
      ...valuesOf('inputs', item),
      fileName: 'd.csv',
      deviceIds: '575ec8687ae143cd83dc4a97\n\n  {{ctx.id}}  ',
      deviceTags: 'floor=8\nsite\n=blue\nmode=a=b',
      start: '-3600000',
      end: '0'
    });
    expect(out).toEqual({
      inputType: 'deviceData',
      fileName: 'd.csv',
      deviceIds: ['575ec8687ae143cd83dc4a97', '{{ctx.id}}'],
      deviceTags: [
        { key: 'floor', value: '8' },
        { key: 'site' },
        { value: 'blue' },
        { key: 'mode', value: 'a=b' }
      ],
      start: -3600000,
      end: 0
    });
    // Cleared, a field is left out; a box unticked is false.
    const file = {
      inputType: 'applicationFile',
      fileName: 'a',
      filePath: '/a',
      private: true
    };
    expect(
      toItem('inputs', file, { ...valuesOf('inputs', file), private: false })
    ).toEqual({ ...file, private: false });
    const result = {
      outputType: 'executionResult',
      fileName: 'result.html',
      destinationDirectoryTemplate: '/x'
    };
    expect(
      toItem('outputs', result, {
        ...valuesOf('outputs', result),
        destinationDirectoryTemplate: ''
      })
    ).toEqual({ outputType: 'executionResult', fileName: 'result.html' });
  });

  it("files the server's field errors under the form's fields", () => {
    expect(
      serverFields({
        'inputs[1].dataTableId': 'required',
        'inputs[0].deviceTags[2].key': 'must be letters',
        'outputs[0]': 'must be an object',
        imageVersion: 'must be one of v1, v2, v3, v4'
      })
    ).toEqual({
      'inputs[1].dataTableId': 'required',
      'inputs[0].deviceTags': 'must be letters',
      'outputs[0]': 'must be an object',
      imageVersion: 'must be one of v1, v2, v3, v4'
    });
  });
});

describe('the cell that reads an input', () => {
  const path = (name: string) =>
    `os.path.join(os.environ['INPUT_DIR'], '${name}')`;

  it('reads CSV with pandas: device data, connection history, data tables', () => {
    for (const inputType of [
      'deviceData',
      'deviceConnectionHistory',
      'dataTable'
    ]) {
      expect(readerCode({ inputType, fileName: 'myData.csv' })).toBe(
        `import os\nimport pandas as pd\n\nmyData = pd.read_csv(${path('myData.csv')})\nmyData.head()`
      );
    }
  });

  it('reads metadata and events as their format says (CSV by default)', () => {
    expect(
      readerCode({
        inputType: 'deviceMetadata',
        fileName: 'devices',
        format: 'json'
      })
    ).toBe(
      `import os\nimport json\n\ndevices_data = json.load(open(${path('devices')}))`
    );
    expect(
      readerCode({ inputType: 'eventData', fileName: '2024-events.csv' })
    ).toBe(
      `import os\nimport pandas as pd\n\ndata_2024_events = pd.read_csv(${path('2024-events.csv')})\ndata_2024_events.head()`
    );
  });

  it('reads a downloaded or application file by its extension, else its bytes', () => {
    expect(
      readerCode({ inputType: 'externalUrl', fileName: 'Config.JSON' })
    ).toBe(
      `import os\nimport json\n\nConfig_data = json.load(open(${path('Config.JSON')}))`
    );
    expect(
      readerCode({ inputType: 'applicationFile', fileName: 'model.pkl' })
    ).toBe(`import os\n\nmodel_data = open(${path('model.pkl')}, 'rb').read()`);
    // A keyword or a module's name is never the variable.
    expect(
      readerCode({ inputType: 'dataTable', fileName: 'class.csv' })
    ).toContain('class_data = ');
    expect(
      readerCode({ inputType: 'dataTable', fileName: 'os.csv' })
    ).toContain('os_data = ');
  });

  it('has none for a template name: the file is known only at run time', () => {
    expect(
      readerCode({ inputType: 'dataTable', fileName: '{{ctx.day}}.csv' })
    ).toBeNull();
  });
});

const LOSANT = connection('plant', 'losant', [
  'list',
  'push',
  'execute',
  'rename'
]);
const INPUTS: INotebookIO[] = [
  {
    inputType: 'dataTable',
    fileName: 'rows.csv',
    dataTableId: '575ec8687ae143cd83dc4a97',
    futureField: 'kept'
  },
  { inputType: 'deviceData', fileName: 'temps.csv', start: -60000, end: 0 }
];
const OUTPUTS: INotebookIO[] = [
  {
    outputType: 'executionResult',
    fileName: 'result.html',
    destinationDirectoryTemplate: '/r'
  }
];

/** Type into a React-controlled field as a user does. */
function type(
  node: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement,
  text: string
) {
  const proto = Object.getPrototypeOf(node);
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(node, text);
  node.dispatchEvent(
    new Event(node instanceof HTMLSelectElement ? 'change' : 'input', {
      bubbles: true
    })
  );
}

describe('the settings editor in the panel', () => {
  let panel: RemotePanel | null = null;
  let model: RemoteModel | null = null;

  afterEach(() => {
    panel?.dispose();
    model?.dispose();
    panel = model = null;
  });

  async function mount(
    notebook: Partial<IRemoteNotebook> = {},
    conn = LOSANT
  ): Promise<{ node: HTMLElement; server: FakeServer; nb: FakeNotebook }> {
    const server = new FakeServer();
    server.connections = [conn];
    server.defaultConnection = conn.id;
    server.notebooks.set(NB_ID, {
      id: NB_ID,
      name: 'Plant report',
      description: 'Daily',
      imageVersion: 'v3',
      inputs: INPUTS,
      outputs: OUTPUTS,
      ...notebook
    });
    model = modelOf(server);
    panel = new RemotePanel({
      model,
      actions: {
        execute: () => undefined,
        isEnabled: () => true,
        openOutput: () => undefined
      }
    });
    Widget.attach(panel, document.body);
    await model.start();
    const nb = linkedNotebook('plant.ipynb', NB_ID, conn.id);
    model.setNotebook(nb);
    await settle();
    await render();
    return { node: panel.node, server, nb };
  }

  async function render(): Promise<void> {
    MessageLoop.sendMessage(panel!, Widget.Msg.UpdateRequest);
    await panel!.renderPromise;
    await settle();
  }

  const button = (node: HTMLElement, name: string) =>
    [...node.querySelectorAll('button')].find(
      b => (b.getAttribute('aria-label') ?? b.textContent?.trim()) === name
    )!;
  /** The item box (or row) that shows `name`. */
  const box = (node: HTMLElement, name: string) =>
    [...node.querySelectorAll<HTMLElement>('.jp-NotebookRemote-io li')].find(
      li =>
        li.querySelector('.jp-NotebookRemote-ellipsis')?.textContent === name
    )!;
  /** The control of a labelled field of the item box that shows `name`. */
  const control = (node: HTMLElement, name: string, label: string) => {
    const labelNode = [...box(node, name).querySelectorAll('label')].find(l =>
      l.textContent!.startsWith(label)
    )!;
    return labelNode.querySelector<HTMLInputElement>(
      'input, textarea, select'
    )!;
  };
  const patches = (server: FakeServer) =>
    server.requests
      .filter(r => r.method === 'PATCH')
      .map(r => JSON.parse(r.body!));

  it('lists what a run finds in INPUT_DIR, and inserts a cell that reads it', async () => {
    const { node, nb } = await mount({
      inputs: [
        ...INPUTS,
        { inputType: 'eventData', fileName: '{{ctx.day}}.csv' }
      ]
    });
    const items = [...node.querySelectorAll('li[data-direction="inputs"]')];
    expect(
      items.map(
        li => li.querySelector('.jp-NotebookRemote-ellipsis')!.textContent
      )
    ).toEqual(['rows.csv', 'temps.csv', '{{ctx.day}}.csv']);
    expect(node.textContent).toContain('In INPUT_DIR');
    expect(
      node.querySelector('li[data-direction="outputs"]')!.textContent
    ).toContain('result.html');
    button(node, 'Insert a cell that reads temps.csv').click();
    expect(nb.inserted).toEqual([
      "import os\nimport pandas as pd\n\ntemps_data = pd.read_csv(os.path.join(os.environ['INPUT_DIR'], 'temps.csv'))\ntemps_data.head()"
    ]);
    const templated = button(node, 'Insert a cell that reads {{ctx.day}}.csv');
    expect(templated.disabled).toBe(true);
    expect(templated.title).toContain('template');
  });

  it('saves an edit, a new input, a move and a removal with one PATCH', async () => {
    const { node, server } = await mount();
    button(node, 'Edit settings').click();
    await render();
    type(control(node, 'temps.csv', 'Start'), '-3600000');
    type(control(node, 'rows.csv', 'Query json'), '{"col": 1}');
    await render();
    const add = node.querySelector<HTMLSelectElement>(
      'select[aria-label="Add an input…"]'
    )!;
    type(add, 'externalUrl');
    await render();
    // A new input is checked before anything is sent.
    const save = button(node, 'Save');
    expect(save.disabled).toBe(true);
    expect(node.textContent).toContain('Required.');
    type(control(node, '', 'File name'), 'prices.json');
    await render();
    type(control(node, 'prices.json', 'Source url'), 'ftp:/nope');
    await render();
    expect(node.textContent).toContain('An http(s):// URL (or a {{template}})');
    expect(button(node, 'Save').disabled).toBe(true);
    type(
      control(node, 'prices.json', 'Source url'),
      'https://example.com/p.json'
    );
    await render();
    button(box(node, 'prices.json'), 'Move up').click();
    await render();
    type(
      node.querySelector<HTMLSelectElement>(
        'select[aria-label="Add an output…"]'
      )!,
      'temporaryUrl'
    );
    await render();
    type(control(node, '', 'File name'), 'chart.png');
    await render();
    button(node, 'Remove result.html').click();
    await render();
    type(
      [...node.querySelectorAll('label')]
        .find(l => l.textContent!.startsWith('Image version'))!
        .querySelector('select')!,
      'v4'
    );
    await render();
    button(node, 'Save').click();
    await settle();
    await render();

    expect(patches(server)).toEqual([
      {
        imageVersion: 'v4',
        inputs: [
          // What the form does not know is sent as it came.
          { ...INPUTS[0], queryJson: '{"col": 1}' },
          {
            inputType: 'externalUrl',
            fileName: 'prices.json',
            sourceUrl: 'https://example.com/p.json'
          },
          { ...INPUTS[1], start: -3600000 }
        ],
        outputs: [{ outputType: 'temporaryUrl', fileName: 'chart.png' }]
      }
    ]);
    // The form closes on the notebook as saved.
    expect(button(node, 'Edit settings')).toBeDefined();
    expect(
      [...node.querySelectorAll('li[data-direction="outputs"]')].map(
        li => li.textContent
      )
    ).toEqual(['chart.pngTemporary url']);
  });

  it("shows the server's field errors beside their fields, until they are edited", async () => {
    const { node, server } = await mount();
    server.fail(
      path => path.endsWith(NB_ID),
      json(
        {
          message:
            'Losant would refuse this notebook configuration: inputs[0].dataTableId: must be a 24-character Losant id',
          reason: 'invalid_input',
          fields: {
            'inputs[0].dataTableId':
              'must be a 24-character Losant id, or a template with {{...}}',
            'inputs[1].futureField': 'is not a field of this type',
            description: 'must be at most 32767 characters'
          }
        },
        400
      )
    );
    button(node, 'Edit settings').click();
    await render();
    type(control(node, 'temps.csv', 'End'), '-1');
    await render();
    button(node, 'Save').click();
    await settle();
    await render();
    const beside = (name: string, label: string) =>
      control(node, name, label).parentElement!.querySelector(
        '.jp-NotebookRemote-fieldError'
      )?.textContent;
    expect(beside('rows.csv', 'Data table id')).toBe(
      'must be a 24-character Losant id, or a template with {{...}}'
    );
    const description = [...node.querySelectorAll('label')].find(l =>
      l.textContent!.startsWith('Description')
    )!;
    expect(
      description.querySelector('.jp-NotebookRemote-fieldError')!.textContent
    ).toBe('must be at most 32767 characters');
    // The whole answer is in the section's error, the field without a form field too.
    const alert = node.querySelector(
      '.jp-NotebookRemote-remote [role="alert"]'
    )!;
    expect(alert.textContent).toContain('inputs[1].futureField');
    // Still open, still the user's edit; an edit drops the server's verdict.
    expect(control(node, 'temps.csv', 'End').value).toBe('-1');
    expect(button(node, 'Save').disabled).toBe(true);
    type(control(node, 'temps.csv', 'End'), '0');
    await render();
    expect(beside('rows.csv', 'Data table id')).toBeUndefined();
  });

  it("edits a Civis notebook's settings: numbers as numbers, variables as an object", async () => {
    const civis = connection('civ', 'civis', ['list', 'rename'], {
      notebookOptions: ['language', 'memory', 'environmentVariables']
    });
    const { node, server } = await mount(
      {
        inputs: [],
        outputs: [],
        language: 'python3',
        memory: 2048,
        environmentVariables: { REGION: 'north' },
        hiddenEnvironmentVariables: ['DB_PASSWORD']
      },
      civis
    );
    button(node, 'Edit settings').click();
    await render();
    const field = (label: string) =>
      [...node.querySelectorAll('label')]
        .find(l => l.textContent!.startsWith(label))!
        .querySelector<HTMLInputElement>('input, textarea, select')!;
    expect(field('Memory (MB)').value).toBe('2048');
    expect(field('Environment variables').value).toBe('REGION=north');
    expect(node.textContent).toContain('DB_PASSWORD');
    // Nothing changed yet: nothing to save.
    expect(button(node, 'Save').disabled).toBe(true);
    type(field('Environment variables'), 'REGION=north\n1BAD=x');
    await render();
    expect(node.textContent).toContain('NAME=value');
    expect(button(node, 'Save').disabled).toBe(true);
    type(field('Environment variables'), 'REGION=south\nDEBUG=');
    type(field('Memory (MB)'), '4096');
    await render();
    button(node, 'Save').click();
    await settle();
    expect(patches(server)).toEqual([
      { memory: 4096, environmentVariables: { REGION: 'south', DEBUG: '' } }
    ]);
  });

  it('opens the settings of a notebook just created on Civis, once', async () => {
    const civis = connection('civ', 'civis', ['list', 'create', 'rename'], {
      notebookOptions: ['language', 'memory']
    });
    const { node, server } = await mount(
      { inputs: [], outputs: [], language: 'python3', memory: 2048 },
      civis
    );
    // The notebook linked before is not one just created: no editor opens.
    expect(button(node, 'Edit settings')).toBeDefined();
    server.notebooks.set(OTHER_NB_ID, {
      id: OTHER_NB_ID,
      name: 'Fresh',
      description: '',
      inputs: [],
      outputs: [],
      language: 'python3',
      memory: 1024
    });
    model!.setNotebook(new FakeNotebook('fresh.ipynb'));
    model!.chooser.open();
    await settle();
    expect(await model!.chooser.createAndLink('Fresh')).toBe(true);
    await settle();
    await render();
    await render();
    const memory = [...node.querySelectorAll('label')]
      .find(l => l.textContent!.startsWith('Memory (MB)'))!
      .querySelector<HTMLInputElement>('input')!;
    expect(memory.value).toBe('1024');
    expect(button(node, 'Save')).toBeDefined();
    button(node, 'Discard').click();
    await render();
    await render();
    expect(button(node, 'Edit settings')).toBeDefined();
  });

  it("offers no editor where the kind's PATCH takes no inputs or outputs", async () => {
    const { node } = await mount(
      { inputs: [], outputs: [] },
      connection('here', 'local', ['list', 'rename'])
    );
    expect(node.querySelector('.jp-NotebookRemote-remote')).not.toBeNull();
    expect(button(node, 'Edit settings')).toBeUndefined();
    expect(node.querySelector('.jp-NotebookRemote-io')).toBeNull();
  });
});
