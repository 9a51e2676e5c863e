import type { PageProps } from './props.js';

export default function Ecosystem(_props: PageProps) {
  return <h1>Ecosystem</h1>;
}
