import type { PageProps } from './props.js';

export default function Leaderboard(_props: PageProps) {
  return <h1>Leaderboard</h1>;
}
