import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countSentences, countWords, IFEVAL_CHECKS, isLower, isUpper, loadIfeval, scoreIfeval, wordTokens } from './ifeval.js';

const DATA = new URL('../../../../shared/datasets/ifeval/input_data.jsonl', import.meta.url).pathname;
const missing = !existsSync(DATA);
if (missing) console.warn(`skipping IFEval dataset tests: ${DATA} not found`);

const follows = (id: string, kwargs: Record<string, unknown>, response: string): boolean =>
  scoreIfeval(response, { key: 1, instructionIds: [id], kwargs: [kwargs] }).correct;

const words = (n: number, word = 'word') => Array.from({ length: n }, () => word).join(' ');

/** [instruction id, kwargs, a response that follows it, a response that does not]. */
const CASES: [string, Record<string, unknown>, string, string][] = [
  ['keywords:existence', { keywords: ['mom', 'mother'] }, 'My Mom is the best mother.', 'My mom is great.'],
  ['keywords:frequency', { keyword: 'story', frequency: 2, relation: 'at least' }, 'A story within a Story.', 'One story only.'],
  ['keywords:frequency', { keyword: 'war', frequency: 2, relation: 'less than' }, 'One war.', 'War and war again.'],
  ['keywords:forbidden_words', { forbidden_words: ['rock', 'night'] }, 'Rocky roads at midnight.', 'We rock all NIGHT.'],
  ['keywords:letter_frequency', { letter: 'q', let_frequency: 2, let_relation: 'at least' }, 'Quick quiz.', 'Quick fix.'],
  ['keywords:letter_frequency', { letter: '!', let_frequency: 2, let_relation: 'less than' }, 'Wow!', 'Wow! Yes!'],
  [
    'language:response_language',
    { language: 'de' },
    'Das ist nicht so einfach, aber wir haben es mit der Zeit gelernt.',
    'This is not easy, but we learned it with time.',
  ],
  ['language:response_language', { language: 'hi' }, 'यह एक अच्छा दिन है और हम पार्क में हैं।', 'It is a good day and we are in the park.'],
  ['length_constraints:number_sentences', { num_sentences: 3, relation: 'less than' }, 'One. Two!', 'One. Two! Three? Four.'],
  [
    'length_constraints:number_sentences',
    { num_sentences: 3, relation: 'at least' },
    'Dr. Smith came. He saw. He left.',
    'Dr. Smith came. He left.',
  ],
  ['length_constraints:number_paragraphs', { num_paragraphs: 3 }, 'First.\n***\nSecond.\n***\nThird.', 'First.\n***\nSecond.'],
  ['length_constraints:number_paragraphs', { num_paragraphs: 2 }, '***\nFirst.\n***\nSecond.\n***', 'First.\n***\n***\nSecond.'],
  ['length_constraints:number_words', { num_words: 5, relation: 'at least' }, 'one two three four five', 'one two three four'],
  ['length_constraints:number_words', { num_words: 5, relation: 'less than' }, "it's four words", 'one two three four five'],
  [
    'length_constraints:nth_paragraph_first_word',
    { num_paragraphs: 3, nth_paragraph: 2, first_word: 'summary' },
    'Intro here.\n\n"Summary, then more.\n\nEnd.',
    'Intro here.\n\nOverview first.\n\nEnd.',
  ],
  [
    'length_constraints:nth_paragraph_first_word',
    { num_paragraphs: 2, nth_paragraph: 1, first_word: 'it' },
    'It was.\n\nDone.',
    'It was.\n\nDone.\n\nMore.',
  ],
  ['detectable_content:number_placeholders', { num_placeholders: 2 }, 'Dear [name], at [address].', 'Dear [name], at home.'],
  ['detectable_content:postscript', { postscript_marker: 'P.S.' }, 'Bye.\n\np.s. see you', 'Bye.\n\nPS see you'],
  ['detectable_content:postscript', { postscript_marker: 'P.P.S' }, 'Bye.\nP.S. one\nP.P.S two', 'Bye.\nP.S. one'],
  ['detectable_format:number_bullet_lists', { num_bullets: 2 }, 'List:\n* one\n- two', 'List:\n* one\n* two\n* three'],
  ['detectable_format:number_bullet_lists', { num_bullets: 1 }, '* only\n**bold** line', '* one\n  * nested'],
  ['detectable_format:constrained_response', {}, 'My answer is yes.', 'Yes.'],
  ['detectable_format:number_highlighted_sections', { num_highlights: 2 }, '*one* and *two*', '*one* and ** and *  *'],
  ['detectable_format:number_highlighted_sections', { num_highlights: 1 }, 'only **bold** here', 'only ** here'],
  [
    'detectable_format:multiple_sections',
    { section_spliter: 'Section', num_sections: 2 },
    'Section 1\nA\nSection 2\nB',
    'Section 1\nA\nsection 2\nB',
  ],
  ['detectable_format:json_format', {}, '```json\n{"a": [1, 2]}\n```', 'Here: {"a": 1}'],
  ['detectable_format:json_format', {}, '  ["x"]  ', '```json\n{a: 1}\n```'],
  ['detectable_format:title', {}, '<<My Poem>>\nRoses are red.', '<< >> Roses are red.'],
  ['combination:two_responses', {}, 'First answer.\n******\nSecond answer.', 'Same.\n******\nSame.'],
  ['combination:two_responses', {}, '******\nOne.\n******\nTwo.\n******', 'One.\n******\n******\nTwo.'],
  [
    'combination:repeat_prompt',
    { prompt_to_repeat: 'Write a poem.' },
    'write a poem. Here it is: roses.',
    'Sure! Write a poem. Here it is.',
  ],
  ['startend:end_checker', { end_phrase: 'Peace!' }, 'That is all. peace!"', 'Peace! That is all.'],
  [
    'change_case:capital_word_frequency',
    { capital_frequency: 2, capital_relation: 'at least' },
    'This is VERY, VERY important.',
    'This is Very important.',
  ],
  [
    'change_case:capital_word_frequency',
    { capital_frequency: 2, capital_relation: 'less than' },
    'A quiet answer.',
    'I think NASA is GREAT.',
  ],
  ['change_case:english_capital', {}, 'THIS IS MY ANSWER, AND IT IS IN ENGLISH.', 'THIS IS MY ANSWER, and it is in English.'],
  ['change_case:english_capital', {}, 'HELLO WORLD, THIS IS THE END.', 'DAS IST NICHT SO EINFACH, ABER WIR HABEN ES MIT DER ZEIT GELERNT.'],
  ['change_case:english_lowercase', {}, 'this is my answer, and it is in english.', 'This is my answer.'],
  ['punctuation:no_comma', {}, 'No commas here.', 'One, two.'],
  ['startend:quotation', {}, '  "Wrapped in quotes."  ', '"Not closed.'],
];

describe('IFEval instruction checks', () => {
  it.each(CASES)('%s %j: a following response passes, a breaking one fails', (id, kwargs, good, bad) => {
    expect(follows(id, kwargs, good)).toBe(true);
    expect(follows(id, kwargs, bad)).toBe(false);
  });

  it('every instruction type has a passing and a failing case here', () => {
    expect(new Set(CASES.map(([id]) => id))).toEqual(new Set(Object.keys(IFEVAL_CHECKS)));
  });

  it('an empty response follows nothing (strict)', () => {
    expect(follows('punctuation:no_comma', {}, '   ')).toBe(false);
  });

  it('lists the failed instructions in the detail, and ignores null arguments', () => {
    const reference = {
      key: 1,
      instructionIds: ['punctuation:no_comma', 'detectable_format:title', 'keywords:existence'],
      kwargs: [{ unused: null }, {}, { keywords: ['cat'] }],
    };
    expect(scoreIfeval('<<T>> a cat.', reference)).toEqual({ correct: true });
    expect(scoreIfeval('A dog, a cat.', reference)).toEqual({
      correct: false,
      detail: 'failed: punctuation:no_comma, detectable_format:title',
    });
  });

  it('an unknown instruction or a bad argument fails with a reason instead of throwing', () => {
    expect(scoreIfeval('x', { key: 1, instructionIds: ['made:up'], kwargs: [{}] }).detail).toBe('failed: made:up (not implemented)');
    expect(
      scoreIfeval('x', { key: 1, instructionIds: ['length_constraints:number_words'], kwargs: [{ relation: 'about' }] }).detail,
    ).toMatch(/length_constraints:number_words \(argument "num_words" must be a number\)/);
  });
});

describe('IFEval text measures', () => {
  it.each([
    ['One sentence without a stop', 1],
    ['Dr. Smith met Mr. Jones at 3.30 p.m. today. They talked.', 2],
    ['Is it? Yes... It is!', 3],
    ['He said "stop." Then left.', 2],
    ['See e.g. the U.S. and J. K. Rowling. Done.', 2],
    ['1. First item\n2. Second item', 1],
    ['Wait... what', 1],
    ['**Title.** Body text here.', 2],
    ['', 0],
  ])('%j has %i sentences', (text, count) => {
    expect(countSentences(text)).toBe(count);
  });

  it('counts words as runs of word characters, in any script', () => {
    expect(countWords("It's a well-known fact: 3 cats.")).toBe(8); // It, s, a, well, known, fact, 3, cats
    expect(countWords('Привет, мир')).toBe(2);
  });

  it('tokenises words for the capital count', () => {
    expect(wordTokens("DON'T stop (NOW), U.S. well-known!")).toEqual(['DO', "N'T", 'stop', 'NOW', 'U.S', 'well-known']);
  });

  it('follows Python isupper and islower', () => {
    expect(isUpper('ABC 123!')).toBe(true);
    expect(isUpper('123')).toBe(false);
    expect(isUpper('ABc')).toBe(false);
    expect(isLower('abc 1')).toBe(true);
    expect(isLower('abC')).toBe(false);
    expect(isLower('...')).toBe(false);
  });
});

describe('IFEval loader', () => {
  it.skipIf(missing)('reads 541 prompts, every instruction id in the file is implemented', async () => {
    const ids = new Set<string>();
    for (const line of readFileSync(DATA, 'utf8').split('\n')) {
      if (line.trim()) for (const id of (JSON.parse(line) as { instruction_id_list: string[] }).instruction_id_list) ids.add(id);
    }
    expect(ids.size).toBe(25);
    expect([...ids].filter((id) => !(id in IFEVAL_CHECKS))).toEqual([]);

    const suite = await loadIfeval(DATA);
    expect(suite.name).toBe('ifeval');
    expect(suite.items).toHaveLength(541);
    expect(new Set(suite.items.map((item) => item.id)).size).toBe(541);
    const first = suite.items[0]!;
    expect(first.id).toBe('1000');
    expect(first.prompt).toMatch(/^Write a 300\+ word summary/);
    expect(first.reference).toMatchObject({
      instructionIds: ['punctuation:no_comma', 'detectable_format:number_highlighted_sections', 'length_constraints:number_words'],
    });
    expect(suite.extract('whole answer', first)).toBe('whole answer');

    // A response that follows all three instructions, and ones that break one each.
    const good = `*Part one* and *part two* and *part three*. ${words(300)}`;
    expect(await suite.score(suite.extract(good, first), first, good)).toEqual({ correct: true });
    const comma = `*Part one*, *part two* and *part three*. ${words(300)}`;
    expect(await suite.score(comma, first, comma)).toEqual({ correct: false, detail: 'failed: punctuation:no_comma' });
    const short = '*Part one* and *part two* and *part three*.';
    expect(await suite.score(short, first, short)).toEqual({ correct: false, detail: 'failed: length_constraints:number_words' });

    // Every instruction of every prompt runs without an argument error on some response.
    for (const item of suite.items) {
      const detail = (await suite.score('A short answer.', item, 'A short answer.')).detail ?? '';
      expect(detail).not.toMatch(/\(/);
    }
  });
});
