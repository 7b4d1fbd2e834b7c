import { CLIENT_REASONS, RemoteApiError } from '../api';
import { fakeApi, json, LOCAL, LOSANT, NB_ID, noContent, route } from './fakes';

describe('RemoteNotebookApi', () => {
  it('builds URLs under the Jupyter base URL, encoding each segment', async () => {
    const { api, requests } = fakeApi(() =>
      json({ items: [], count: 0, totalCount: 0, page: 0, perPage: 50 })
    );
    await api.listNotebooks('plant a/b');
    const url = new URL(requests[0].url);
    expect(url.origin + url.pathname).toBe(
      'http://localhost:8888/lab-base/notebook-remote/connections/plant%20a%2Fb/notebooks'
    );
  });

  it('lists connections', async () => {
    const body = { default: 'local', connections: [LOCAL, LOSANT] };
    const { api, requests } = fakeApi(() => json(body));
    await expect(api.listConnections()).resolves.toEqual(body);
    expect(requests[0].method).toBe('GET');
    expect(route(requests[0])).toBe('connections');
  });

  it('sends a token once with PUT and forgets it with DELETE', async () => {
    const { api, requests } = fakeApi(() => noContent());
    await api.setToken('plant-a', 's3cret');
    await api.forgetToken('plant-a');
    expect(requests.map(r => [r.method, route(r)])).toEqual([
      ['PUT', 'connections/plant-a/token'],
      ['DELETE', 'connections/plant-a/token']
    ]);
    expect(JSON.parse(requests[0].body!)).toEqual({ token: 's3cret' });
    expect(requests[0].headers.get('Content-Type')).toBe('application/json');
    expect(requests[0].url).not.toContain('s3cret');
  });

  it('passes list filters as query parameters and leaves out empty ones', async () => {
    const { api, requests } = fakeApi(() =>
      json({ items: [], count: 0, totalCount: 0, page: 0, perPage: 50 })
    );
    await api.listNotebooks('local', { filter: 'sales & ops', perPage: 50 });
    await api.listNotebooks('local', { filter: '' });
    const first = new URL(requests[0].url);
    expect(first.searchParams.get('filter')).toBe('sales & ops');
    expect(first.searchParams.get('perPage')).toBe('50');
    expect(first.searchParams.has('page')).toBe(false);
    expect(new URL(requests[1].url).searchParams.has('filter')).toBe(false);
  });

  it('posts the path to push, the body to execute, and reads the execution id', async () => {
    const { api, requests } = fakeApi(request => {
      if (route(request).endsWith('/push')) {
        return json({ id: NB_ID, name: 'report', description: '' });
      }
      return json({ executionId: 'ex1' }, 202);
    });
    await api.push('local', NB_ID, 'work/report.ipynb');
    const started = await api.execute('local', NB_ID, { relativeTo: 5 });
    expect(started.executionId).toBe('ex1');
    expect(route(requests[0])).toBe(
      `connections/local/notebooks/${NB_ID}/push`
    );
    expect(JSON.parse(requests[0].body!)).toEqual({
      path: 'work/report.ipynb'
    });
    expect(requests[1].method).toBe('POST');
    expect(route(requests[1])).toBe(
      `connections/local/notebooks/${NB_ID}/executions`
    );
    expect(JSON.parse(requests[1].body!)).toEqual({ relativeTo: 5 });
  });

  it('unwraps the execution list and asks usage for a range in ms', async () => {
    const { api, requests } = fakeApi(request =>
      route(request).endsWith('/usage')
        ? json({ start: 'a', end: 'b', totalMinutes: 3, days: [] })
        : json({ items: [{ id: 'e1', notebookId: NB_ID, status: 'queued' }] })
    );
    const items = await api.listExecutions('local', NB_ID, { limit: 5 });
    expect(items.map(e => e.id)).toEqual(['e1']);
    expect(new URL(requests[0].url).searchParams.get('limit')).toBe('5');
    expect(requests[0].headers.has('Cache-Control')).toBe(false);
    const usage = await api.usage('local', NB_ID, { start: 1000, end: 2000 });
    expect(usage.totalMinutes).toBe(3);
    const query = new URL(requests[1].url).searchParams;
    expect([query.get('start'), query.get('end')]).toEqual(['1000', '2000']);
  });

  it('lets a poll share answers no older than it asks (Cache-Control: max-age)', async () => {
    const { api, requests } = fakeApi(() => json({ items: [] }));
    await api.listExecutions('local', NB_ID, { maxAge: 2 });
    await api.listExecutions('local', NB_ID, { maxAge: 0.5 });
    expect(requests.map(r => r.headers.get('Cache-Control'))).toEqual([
      'max-age=2',
      'max-age=0'
    ]);
  });

  it('cancels with a POST to the execution', async () => {
    const { api, requests } = fakeApi(() => json({ success: true }));
    await api.cancelExecution('local', NB_ID, 'ex9');
    expect(requests[0].method).toBe('POST');
    expect(route(requests[0])).toBe(
      `connections/local/notebooks/${NB_ID}/executions/ex9/cancel`
    );
  });

  it('throws a typed error carrying the server body', async () => {
    const { api } = fakeApi(() =>
      json(
        {
          message: "Connection 'plant-a' has no token.",
          reason: 'token_missing',
          connection: 'plant-a'
        },
        403
      )
    );
    const error = await api.getNotebook('plant-a', NB_ID).catch(e => e);
    expect(error).toBeInstanceOf(RemoteApiError);
    expect(error.status).toBe(403);
    expect(error.reason).toBe('token_missing');
    expect(error.connection).toBe('plant-a');
    expect(error.message).toBe("Connection 'plant-a' has no token.");
    expect(
      RemoteApiError.hasReason(error, 'remote_auth', 'token_missing')
    ).toBe(true);
  });

  it('keeps field errors and the remote status', async () => {
    const { api } = fakeApi(() =>
      json(
        {
          message: 'Invalid request: email: is not an email address',
          reason: 'invalid_input',
          fields: { email: 'is not an email address' },
          remoteStatus: 400
        },
        400
      )
    );
    const error: RemoteApiError = await api
      .inputExport('local', NB_ID, { email: 'nope' })
      .catch(e => e);
    expect(error.reason).toBe('invalid_input');
    expect(error.fields).toEqual({ email: 'is not an email address' });
    expect(error.remoteStatus).toBe(400);
  });

  it('reads Retry-After on 429', async () => {
    const { api } = fakeApi(() =>
      json({ message: 'Slow down', reason: 'rate_limited' }, 429, {
        'Retry-After': '7'
      })
    );
    const error: RemoteApiError = await api
      .listExecutions('local', NB_ID)
      .catch(e => e);
    expect(error.reason).toBe('rate_limited');
    expect(error.retryAfter).toBe(7);
  });

  it('says the server extension is missing on a foreign 404 of GET connections', async () => {
    const { api } = fakeApi(
      () => new Response('<html>404: Not Found</html>', { status: 404 })
    );
    const error: RemoteApiError = await api.listConnections().catch(e => e);
    expect(error.reason).toBe(CLIENT_REASONS.extensionMissing);
    expect(error.message).toMatch(/server extension/);
  });

  it('keeps an unknown connection 404 of our own JSON as it is', async () => {
    const { api } = fakeApi(() =>
      json({ message: 'No connection x', reason: 'unknown_connection' }, 404)
    );
    const error: RemoteApiError = await api.listConnections().catch(e => e);
    expect(error.reason).toBe('unknown_connection');
  });

  it('reports a foreign error page as bad_response with the status', async () => {
    const { api } = fakeApi(
      () =>
        new Response('Bad Gateway', { status: 502, statusText: 'Bad Gateway' })
    );
    const error: RemoteApiError = await api
      .getNotebook('local', NB_ID)
      .catch(e => e);
    expect(error.reason).toBe(CLIENT_REASONS.badResponse);
    expect(error.status).toBe(502);
    expect(error.message).toContain('502');
  });

  it('reports an unreachable Jupyter server as a network error', async () => {
    const { api } = fakeApi(() => {
      throw new TypeError('Failed to fetch');
    });
    const error: RemoteApiError = await api.listConnections().catch(e => e);
    expect(error.reason).toBe(CLIENT_REASONS.network);
    expect(error.status).toBe(0);
  });

  it('rejects a success answer that is not JSON', async () => {
    const { api } = fakeApi(() => new Response('not json', { status: 200 }));
    const error: RemoteApiError = await api
      .getNotebook('local', NB_ID)
      .catch(e => e);
    expect(error.reason).toBe(CLIENT_REASONS.badResponse);
  });

  it('returns the text of an output file, its name encoded', async () => {
    const { api, requests } = fakeApi(
      () => new Response('line 1\nline 2', { status: 200 })
    );
    await expect(
      api.fetchExecutionFile('local', NB_ID, 'ex1', 'result#1.log')
    ).resolves.toBe('line 1\nline 2');
    expect(route(requests[0])).toBe(
      `connections/local/notebooks/${NB_ID}/executions/ex1/files/result%231.log`
    );
  });
});
