/**
 * Playground: streaming chat through the gateway, one model or two side by side (the same prompt
 * sent to both at once). Reasoning is shown apart from the answer, folded; after each answer its
 * cost, tokens, the provider that served it and the attempts it took. Stop cancels every stream in
 * flight; an error (402, 404, 503…) is shown where the answer would have been.
 */
import { useEffect, useRef, useState } from 'react';
import { api, hasKey } from '../api.js';
import { ErrorBox, SignInFirst, count, ifSignedIn, useApi } from '../ui.js';
import type { PageProps } from './props.js';
import { ChatError, streamChat, type ChatMessage, type StreamMeta, type StreamUsage } from './PlaygroundStream.js';
import './Playground.css';

interface ModelItem {
  id: string;
  name: string;
}

interface EndpointItem {
  tag: string;
  provider_name: string;
  enabled: boolean;
  pricing: { prompt: string; completion: string };
}

interface Answer {
  content: string;
  reasoning: string;
  state: 'waiting' | 'streaming' | 'done' | 'stopped' | 'error';
  error?: { status: number | null; message: string };
  usage?: StreamUsage;
  meta?: StreamMeta;
  finish?: string;
  started: number;
  firstToken?: number;
  ended?: number;
  model: string;
  host: string;
}

interface Turn {
  prompt: string;
  answer: Answer;
}

interface PaneChoice {
  model: string;
  host: string;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function Stats({ answer }: { answer: Answer }) {
  if (answer.state === 'waiting' || answer.state === 'streaming') return null;
  const usage = answer.usage;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  const parts: string[] = [];
  if (usage?.cost !== undefined) parts.push(`$${usage.cost.toFixed(6)}`);
  if (usage)
    parts.push(
      `${count(usage.prompt_tokens)} in / ${count(usage.completion_tokens)} out tokens${reasoning ? ` (${count(reasoning)} reasoning)` : ''}`,
    );
  if (answer.meta?.provider) parts.push(`provider ${answer.meta.provider}`);
  if (answer.meta?.attempts) parts.push(`${answer.meta.attempts} attempt${answer.meta.attempts === '1' ? '' : 's'}`);
  if (answer.firstToken !== undefined) parts.push(`first token ${seconds(answer.firstToken - answer.started)}`);
  if (answer.ended !== undefined) parts.push(`total ${seconds(answer.ended - answer.started)}`);
  if (answer.state === 'stopped') parts.push('stopped');
  else if (answer.finish && answer.finish !== 'stop') parts.push(`finish: ${answer.finish}`);
  if (parts.length === 0) return null;
  return (
    <p className="answer-stats" data-testid="answer-stats">
      {parts.join(' · ')}
    </p>
  );
}

function AnswerView({ answer }: { answer: Answer }) {
  const busy = answer.state === 'waiting' || answer.state === 'streaming';
  return (
    <div className="bubble assistant">
      <div className="bubble-head muted">
        {answer.model}
        {answer.host ? ` via ${answer.host}` : ''}
      </div>
      {answer.reasoning ? (
        <details className="reasoning">
          <summary>
            {busy && !answer.content ? 'Thinking…' : 'Reasoning'} ({count(answer.reasoning.split(/\s+/).filter(Boolean).length)} words)
          </summary>
          <div className="reasoning-text">{answer.reasoning}</div>
        </details>
      ) : null}
      <div className="answer-text" data-testid="answer" aria-busy={busy}>
        {answer.content}
        {answer.state === 'waiting' ? <span className="muted">Waiting for the first token…</span> : null}
        {busy ? <span className="cursor" aria-hidden="true" /> : null}
      </div>
      {answer.error ? (
        <div className="notice bad" role="alert">
          <strong>{answer.error.status ? `${answer.error.status} ` : ''}</strong>
          {answer.error.message}
        </div>
      ) : null}
      <Stats answer={answer} />
    </div>
  );
}

function HostSelect({ model, value, onChange, id }: { model: string; value: string; onChange: (host: string) => void; id: string }) {
  const endpoints = useApi(
    () =>
      model
        ? api<{ data: { endpoints: EndpointItem[] } }>(`/api/v1/models/${model.split('/').map(encodeURIComponent).join('/')}/endpoints`)
        : Promise.resolve({ data: { endpoints: [] } }),
    [model],
  );
  const hosts = endpoints.data?.data.endpoints ?? [];
  return (
    <label htmlFor={id}>
      Host
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)} disabled={!model}>
        <option value="">Any (routed)</option>
        {hosts.map((host) => (
          <option key={host.tag} value={host.tag} disabled={!host.enabled}>
            {host.provider_name === host.tag ? host.tag : `${host.provider_name} (${host.tag})`} · $
            {(Number(host.pricing.prompt) * 1e6).toFixed(2)}/$
            {(Number(host.pricing.completion) * 1e6).toFixed(2)} per 1M{host.enabled ? '' : ' · off'}
          </option>
        ))}
      </select>
      {endpoints.error ? <span className="bad-text">hosts: {endpoints.error.message}</span> : null}
    </label>
  );
}

function ModelPicker({
  index,
  models,
  choice,
  onChange,
}: {
  index: number;
  models: ModelItem[];
  choice: PaneChoice;
  onChange: (next: PaneChoice) => void;
}) {
  const id = `pg-model-${index}`;
  return (
    <div className="form-row">
      <label htmlFor={id}>
        Model{index > 0 ? ' B' : ''}
        <select id={id} value={choice.model} onChange={(event) => onChange({ model: event.target.value, host: '' })}>
          {models.length === 0 ? <option value="">No servable model</option> : null}
          {models.map((model) => (
            <option key={model.id} value={model.id}>
              {model.id}
            </option>
          ))}
        </select>
      </label>
      <HostSelect id={`pg-host-${index}`} model={choice.model} value={choice.host} onChange={(host) => onChange({ ...choice, host })} />
    </div>
  );
}

export default function Playground(props: PageProps) {
  const signedIn = hasKey(props.signedIn);
  const models = useApi(() => ifSignedIn(signedIn, () => api<{ data: ModelItem[] }>('/v1/models')), [signedIn]);
  const [compare, setCompare] = useState(false);
  const [choices, setChoices] = useState<PaneChoice[]>([
    { model: '', host: '' },
    { model: '', host: '' },
  ]);
  const [turns, setTurns] = useState<Turn[][]>([[], []]);
  const [prompt, setPrompt] = useState('');
  const [system, setSystem] = useState('');
  const [maxTokens, setMaxTokens] = useState('');
  const running = useRef(new Set<AbortController>());
  const [busy, setBusy] = useState(0);

  // The first servable models by default (a different one for B when there is one).
  useEffect(() => {
    const list = models.data?.data ?? [];
    if (list.length === 0) return;
    setChoices((current) =>
      current.map((choice, index) =>
        choice.model && list.some((model) => model.id === choice.model)
          ? choice
          : { model: list[Math.min(index, list.length - 1)]!.id, host: '' },
      ),
    );
  }, [models.data]);

  useEffect(() => {
    const controllers = running.current;
    return () => {
      for (const controller of controllers) controller.abort();
    };
  }, []);

  const update = (pane: number, position: number, change: (answer: Answer) => Answer) =>
    setTurns((current) =>
      current.map((list, index) =>
        index !== pane ? list : list.map((turn, at) => (at === position ? { ...turn, answer: change(turn.answer) } : turn)),
      ),
    );

  async function run(pane: number, position: number, messages: ChatMessage[], choice: PaneChoice): Promise<void> {
    const controller = new AbortController();
    running.current.add(controller);
    setBusy(running.current.size);
    const max = Number(maxTokens);
    try {
      await streamChat(
        {
          model: choice.model,
          messages,
          ...(choice.host ? { only: choice.host } : {}),
          ...(maxTokens && max > 0 ? { maxTokens: max } : {}),
        },
        {
          onMeta: (meta) => update(pane, position, (answer) => ({ ...answer, meta })),
          onDelta: (delta) =>
            update(pane, position, (answer) => ({
              ...answer,
              state: 'streaming',
              firstToken: answer.firstToken ?? performance.now(),
              content: answer.content + (delta.content ?? ''),
              reasoning: answer.reasoning + (delta.reasoning ?? ''),
            })),
          onUsage: (usage) => update(pane, position, (answer) => ({ ...answer, usage })),
          onFinish: (finish) => update(pane, position, (answer) => ({ ...answer, finish })),
        },
        controller.signal,
      );
      update(pane, position, (answer) => ({ ...answer, state: 'done', ended: performance.now() }));
    } catch (error) {
      if (controller.signal.aborted) {
        update(pane, position, (answer) => ({ ...answer, state: 'stopped', ended: performance.now() }));
      } else {
        const status = error instanceof ChatError ? error.status : null;
        const message = error instanceof Error ? error.message : String(error);
        update(pane, position, (answer) => ({ ...answer, state: 'error', ended: performance.now(), error: { status, message } }));
      }
    } finally {
      running.current.delete(controller);
      setBusy(running.current.size);
    }
  }

  function send(): void {
    const text = prompt.trim();
    if (!text || busy > 0) return;
    const panes = compare ? [0, 1] : [0];
    const now = performance.now();
    for (const pane of panes) {
      const choice = choices[pane]!;
      if (!choice.model) continue;
      const history = turns[pane]!;
      const messages: ChatMessage[] = [
        ...(system.trim() ? [{ role: 'system' as const, content: system.trim() }] : []),
        ...history.flatMap((turn) => [
          { role: 'user' as const, content: turn.prompt },
          ...(turn.answer.content ? [{ role: 'assistant' as const, content: turn.answer.content }] : []),
        ]),
        { role: 'user', content: text },
      ];
      const answer: Answer = { content: '', reasoning: '', state: 'waiting', started: now, model: choice.model, host: choice.host };
      setTurns((current) => current.map((list, index) => (index === pane ? [...list, { prompt: text, answer }] : list)));
      void run(pane, history.length, messages, choice);
    }
    setPrompt('');
  }

  function stop(): void {
    for (const controller of running.current) controller.abort();
  }

  if (!signedIn) {
    return (
      <>
        <h1>Playground</h1>
        <SignInFirst what="the playground (requests are charged to your key)" />
      </>
    );
  }

  const list = models.data?.data ?? [];
  const panes = compare ? [0, 1] : [0];
  return (
    <>
      <h1>Playground</h1>
      {models.error ? <ErrorBox error={models.error} retry={models.reload} /> : null}
      <div className="pg-options">
        <label className="check">
          <input type="checkbox" checked={compare} onChange={(event) => setCompare(event.target.checked)} disabled={busy > 0} /> Compare two
          models side by side
        </label>
        <button
          type="button"
          className="secondary"
          onClick={() => setTurns([[], []])}
          disabled={busy > 0 || (turns[0]!.length === 0 && turns[1]!.length === 0)}
        >
          New conversation
        </button>
      </div>
      <div className={`pg-panes${compare ? ' two' : ''}`}>
        {panes.map((pane) => (
          <section key={pane} className="pg-pane card" aria-label={compare ? `Model ${pane === 0 ? 'A' : 'B'}` : 'Conversation'}>
            <ModelPicker
              index={pane}
              models={list}
              choice={choices[pane]!}
              onChange={(next) => setChoices((current) => current.map((choice, index) => (index === pane ? next : choice)))}
            />
            <div className="pg-transcript">
              {turns[pane]!.length === 0 ? (
                <p className="muted">{models.loading && list.length === 0 ? 'Loading models…' : 'Send a message to start.'}</p>
              ) : null}
              {turns[pane]!.map((turn, index) => (
                <div key={index} className="pg-turn">
                  <div className="bubble user">{turn.prompt}</div>
                  <AnswerView answer={turn.answer} />
                </div>
              ))}
            </div>
          </section>
        ))}
      </div>
      <form
        className="pg-compose"
        onSubmit={(event) => {
          event.preventDefault();
          send();
        }}
      >
        <label htmlFor="pg-prompt">Message</label>
        <textarea
          id="pg-prompt"
          data-testid="prompt"
          rows={3}
          value={prompt}
          placeholder="Ask something… (Ctrl+Enter to send)"
          onChange={(event) => setPrompt(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              send();
            }
          }}
        />
        <details className="pg-settings">
          <summary>Settings</summary>
          <div className="form-row">
            <label htmlFor="pg-system">
              System prompt
              <textarea id="pg-system" rows={2} value={system} onChange={(event) => setSystem(event.target.value)} />
            </label>
            <label htmlFor="pg-max">
              Max tokens
              <input
                id="pg-max"
                type="number"
                min={1}
                inputMode="numeric"
                value={maxTokens}
                onChange={(event) => setMaxTokens(event.target.value)}
              />
            </label>
          </div>
        </details>
        <div className="pg-actions">
          <button type="submit" data-testid="send" disabled={busy > 0 || !prompt.trim() || !choices[0]!.model}>
            Send{compare ? ' to both' : ''}
          </button>
          <button type="button" className="secondary" data-testid="stop" onClick={stop} disabled={busy === 0}>
            Stop
          </button>
          {busy > 0 ? (
            <span className="muted" role="status">
              Streaming…
            </span>
          ) : null}
        </div>
      </form>
    </>
  );
}
