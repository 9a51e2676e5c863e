/**
 * One model's page (#/models/{author}/{slug}): its facts and hosts (GET
 * /api/v1/models/{id}/endpoints), its lineage tree (GET /api/v1/lineage/{id}) and its benchmark
 * scores (GET /api/v1/leaderboard?model=, which needs a key). Each part loads and fails on its own.
 */
import type { ReactNode } from 'react';
import {
  ApiError,
  api,
  idPath,
  type EndpointDetail,
  type FamiliesAnswer,
  type LeaderboardAnswer,
  type ModelDetailAnswer,
  type ModelListAnswer,
} from '../api.js';
import { Empty, ErrorBox, Loading, Show, count, percent, useApi } from '../ui.js';
import { LineageSection } from './ModelsLineage.js';
import { params, price, tokens } from './ModelsFormat.js';

export function Verification({ verification }: { verification: EndpointDetail['verification'] }) {
  if (!verification) return <span style={{ color: 'var(--muted)' }}>not checked</span>;
  const when = new Date(verification.at).toLocaleDateString('en-CA');
  return (
    <span>
      <span className={`badge ${verification.status === 'passed' ? 'good' : 'bad'}`}>
        {verification.status === 'passed' ? '✓ passed' : '⚠ flagged'}
      </span>{' '}
      <span style={{ whiteSpace: 'normal', display: 'block', minWidth: '14rem', maxWidth: '22rem', fontSize: '0.8rem' }}>
        {verification.reason} <span style={{ color: 'var(--muted)' }}>({when})</span>
      </span>
    </span>
  );
}

function Fact({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div>
      <dt style={{ color: 'var(--muted)', fontSize: '0.85rem' }}>{name}</dt>
      <dd style={{ margin: '0 0 0.5rem' }}>{children}</dd>
    </div>
  );
}

function HostsTable({ endpoints }: { endpoints: EndpointDetail[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="hosts-table">
        <caption className="sr-only">Hosts of this model</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Input / 1M</th>
            <th scope="col">Output / 1M</th>
            <th scope="col">Context</th>
            <th scope="col">Quantization</th>
            <th scope="col">Country</th>
            <th scope="col">Uptime 1d</th>
            <th scope="col">Latency p50</th>
            <th scope="col">Throughput p50</th>
            <th scope="col">Enabled</th>
            <th scope="col">Verification</th>
          </tr>
        </thead>
        <tbody>
          {endpoints.map((endpoint) => (
            <tr key={endpoint.tag}>
              <td>
                {endpoint.provider_name}
                {endpoint.provider_name.toLowerCase() !== endpoint.tag ? (
                  <code style={{ color: 'var(--muted)' }}> {endpoint.tag}</code>
                ) : null}
              </td>
              <td>{price(endpoint.pricing.prompt)}</td>
              <td>{price(endpoint.pricing.completion)}</td>
              <td>{tokens(endpoint.context_length)}</td>
              <td>{endpoint.quantization ?? '–'}</td>
              <td>{endpoint.jurisdiction ?? '–'}</td>
              <td>{percent(endpoint.uptime_last_1d)}</td>
              <td>{endpoint.latency_last_30m ? `${endpoint.latency_last_30m.p50.toFixed(2)} s` : '–'}</td>
              <td>{endpoint.throughput_last_30m ? `${endpoint.throughput_last_30m.p50.toFixed(0)} tok/s` : '–'}</td>
              <td>
                {endpoint.enabled ? (
                  <span className="badge good">yes</span>
                ) : (
                  <>
                    <span className="badge">no</span>
                    {endpoint.disabled_reason ? (
                      <span
                        style={{
                          display: 'block',
                          whiteSpace: 'normal',
                          minWidth: '10rem',
                          maxWidth: '16rem',
                          fontSize: '0.8rem',
                          color: 'var(--muted)',
                        }}
                      >
                        {endpoint.disabled_reason}
                      </span>
                    ) : null}
                  </>
                )}
                {endpoint.circuit && endpoint.circuit !== 'closed' ? <span className="badge bad"> circuit {endpoint.circuit}</span> : null}
              </td>
              <td>
                <Verification verification={endpoint.verification} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * The lineage tree, asked for only when it can be there: the graph has nodes and the catalog gives the
 * model a Hugging Face id (a 404 would still be shown kindly, but browsers log it as a console error).
 */
function ModelLineage({ id }: { id: string }) {
  const known = useApi(async () => {
    const [families, list] = await Promise.all([
      api<FamiliesAnswer>('/api/v1/lineage/families?limit=1&top=0'),
      api<ModelListAnswer>(`/api/v1/models?output_modalities=all&q=${encodeURIComponent(id)}`),
    ]);
    return { nodes: families.graph.nodes, huggingFaceId: list.data.find((model) => model.id === id)?.hugging_face_id ?? null };
  }, [id]);
  return (
    <Show loaded={known} what="lineage">
      {({ nodes, huggingFaceId }) =>
        nodes === 0 ? (
          <Empty>
            <strong>No lineage imported yet.</strong> Import Hugging Face's model tree with <code>agora lineage import FILE|URL</code> to
            see this model's bases and derivatives.
          </Empty>
        ) : !huggingFaceId ? (
          <Empty>
            <strong>This model is not in the lineage graph:</strong> the catalog gives it no Hugging Face id.
          </Empty>
        ) : (
          <LineageSection id={id} label={`This model (${huggingFaceId})`} />
        )
      }
    </Show>
  );
}

function Scores({ id, signedIn }: { id: string; signedIn: boolean }) {
  const loaded = useApi(
    () => (signedIn ? api<LeaderboardAnswer>(`/api/v1/leaderboard?model=${encodeURIComponent(id)}`) : Promise.resolve(null)),
    [id, signedIn],
  );
  if (!signedIn)
    return (
      <Empty>
        <strong>Sign in to see scores.</strong> The leaderboard needs a key: paste one into the API key field at the top of the page.
      </Empty>
    );
  if (loaded.error) return <ErrorBox error={loaded.error} retry={loaded.reload} />;
  if (loaded.loading || !loaded.data) return <Loading what="scores" />;
  const row = loaded.data.data.find((entry) => entry.model === id);
  const suites = row ? Object.values(row.suites) : [];
  if (!row || (suites.length === 0 && row.probes === 0))
    return (
      <Empty>
        <strong>No benchmark runs for this model yet.</strong> Run one with{' '}
        <code>agora bench run --suite gsm8k --model {id} --limit 50</code>.
      </Empty>
    );
  return (
    <div>
      <p>
        Agora index <strong>{row.index ?? '–'}</strong>
        {row.index !== null ? ` (coverage ${Math.round(row.coverage * 100)}% of the index's weight)` : ''} · blended price{' '}
        {row.blended_price !== null ? `$${row.blended_price.toFixed(2)}/1M at ${row.cheapest_provider}` : '–'} ·{' '}
        {row.median_output_tps ?? '–'} tok/s · TTFT {row.median_ttft_ms !== null ? `${row.median_ttft_ms} ms` : '–'} ({row.probes} probes) ·{' '}
        <a href="#/leaderboard">leaderboard</a>
      </p>
      {suites.length > 0 ? (
        <div className="table-wrap">
          <table data-testid="scores-table">
            <caption className="sr-only">Benchmark scores of {id}</caption>
            <thead>
              <tr>
                <th scope="col">Suite</th>
                <th scope="col">Score</th>
                <th scope="col">95% interval</th>
                <th scope="col">Items</th>
                <th scope="col">Host</th>
                <th scope="col">Cost</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {suites.map((suite) => (
                <tr key={suite.suite}>
                  <td>{suite.suite}</td>
                  <td>{suite.score.toFixed(1)}</td>
                  <td>
                    {suite.ci_low.toFixed(1)}–{suite.ci_high.toFixed(1)}
                  </td>
                  <td>{count(suite.n)}</td>
                  <td>{suite.provider ?? 'routed'}</td>
                  <td>${suite.cost_usd >= 0.01 ? suite.cost_usd.toFixed(2) : suite.cost_usd.toPrecision(2)}</td>
                  <td>{new Date(suite.finished_at).toLocaleString('en-CA')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

export function ModelDetail({ id, signedIn }: { id: string; signedIn: boolean }) {
  const loaded = useApi(() => api<ModelDetailAnswer>(`/api/v1/models/${idPath(id)}/endpoints`), [id]);
  const back = (
    <p>
      <a href="#/models">← All models</a>
    </p>
  );
  if (loaded.error instanceof ApiError && loaded.error.status === 404)
    return (
      <>
        {back}
        <h1>{id}</h1>
        <Empty>
          <strong>No such model in the catalog.</strong> {loaded.error.message}
        </Empty>
      </>
    );
  return (
    <>
      {back}
      <h1>{loaded.data?.data.name ?? id}</h1>
      <p>
        <code>{id}</code>
      </p>
      <Show loaded={loaded} what="the model">
        {({ data: model }) => {
          const contexts = model.endpoints.map((endpoint) => endpoint.context_length).filter((value): value is number => value !== null);
          return (
            <>
              {model.description ? <p style={{ maxWidth: '70ch' }}>{model.description}</p> : null}
              <dl className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))', gap: '0 1rem' }}>
                <Fact name="Author">
                  {model.author_name ?? model.author}
                  {model.author_country ? ` (${model.author_country})` : ''}
                </Fact>
                <Fact name="Weights">{model.open_weights === null ? '–' : model.open_weights ? 'open' : 'closed'}</Fact>
                <Fact name="License">{model.license ?? '–'}</Fact>
                <Fact name="Parameters">{params(model.parameters)}</Fact>
                <Fact name="Context">{contexts.length > 0 ? tokens(Math.max(...contexts)) : '–'}</Fact>
                <Fact name="Released">{model.release_date ?? '–'}</Fact>
                <Fact name="Modality">{model.architecture.modality}</Fact>
                <Fact name="Hosts">
                  {model.endpoints.length} ({model.endpoints.filter((endpoint) => endpoint.enabled).length} enabled)
                </Fact>
              </dl>
              <h2>Hosts</h2>
              {model.endpoints.length === 0 ? (
                <Empty>No host serves this model; add one under its entry in the config file.</Empty>
              ) : (
                <HostsTable endpoints={model.endpoints} />
              )}
            </>
          );
        }}
      </Show>
      <h2>Lineage</h2>
      <ModelLineage id={id} />
      <h2>Benchmark scores</h2>
      <Scores id={id} signedIn={signedIn} />
    </>
  );
}
