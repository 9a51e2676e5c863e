import type { PageProps } from './props.js';

export default function Keys(_props: PageProps) {
  return <h1>Keys</h1>;
}
