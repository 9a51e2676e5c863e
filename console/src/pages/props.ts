/** What the shell hands every page. */
export interface PageProps {
  /** The hash path after the page's name (`#/models/deepseek/deepseek-r1` → `deepseek/deepseek-r1`). */
  rest: string;
  signedIn: boolean;
}
