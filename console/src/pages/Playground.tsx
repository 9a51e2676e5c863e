import type { PageProps } from './props.js';

export default function Playground(_props: PageProps) {
  return <h1>Playground</h1>;
}
