import type { PageProps } from './props.js';

export default function Governance(_props: PageProps) {
  return <h1>Governance</h1>;
}
