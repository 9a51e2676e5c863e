import type { PageProps } from './props.js';

export default function Rankings(_props: PageProps) {
  return <h1>Rankings</h1>;
}
