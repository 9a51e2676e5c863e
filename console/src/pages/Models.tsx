import type { PageProps } from './props.js';

export default function Models(_props: PageProps) {
  return <h1>Models</h1>;
}
