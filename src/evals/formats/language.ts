/**
 * A small language identifier for IFEval's `language:response_language` and `change_case:*` checks
 * (upstream uses the `langdetect` package). It returns an ISO 639-1 code like langdetect does.
 *
 * How: the script most of the letters are written in decides directly where one language owns it
 * (Hangul → ko, Thai → th, Kannada → kn, Gurmukhi → pa, Gujarati → gu, Telugu → te, Tamil → ta,
 * Bengali → bn, Malayalam → ml, Hebrew → he, Greek → el, kana → ja, Han → zh-cn). Where a script is
 * shared (Latin; Cyrillic: ru, bg, uk; Devanagari: hi, mr, ne; Arabic script: ar, fa, ur), frequent
 * function words of each candidate are counted, with letters only one candidate uses as extra
 * evidence, and the best-scoring candidate wins. Good for the 30 languages IFEval names on
 * paragraph-length text; not a general-purpose detector (short or mixed texts may be misjudged).
 */

type Script =
  | 'latin'
  | 'cyrillic'
  | 'devanagari'
  | 'arabic'
  | 'hangul'
  | 'thai'
  | 'kannada'
  | 'gurmukhi'
  | 'gujarati'
  | 'telugu'
  | 'tamil'
  | 'bengali'
  | 'malayalam'
  | 'hebrew'
  | 'greek'
  | 'kana'
  | 'han';

const SCRIPTS: [Script, RegExp][] = [
  ['latin', /\p{Script=Latin}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['devanagari', /\p{Script=Devanagari}/u],
  ['arabic', /\p{Script=Arabic}/u],
  ['hangul', /\p{Script=Hangul}/u],
  ['thai', /\p{Script=Thai}/u],
  ['kannada', /\p{Script=Kannada}/u],
  ['gurmukhi', /\p{Script=Gurmukhi}/u],
  ['gujarati', /\p{Script=Gujarati}/u],
  ['telugu', /\p{Script=Telugu}/u],
  ['tamil', /\p{Script=Tamil}/u],
  ['bengali', /\p{Script=Bengali}/u],
  ['malayalam', /\p{Script=Malayalam}/u],
  ['hebrew', /\p{Script=Hebrew}/u],
  ['greek', /\p{Script=Greek}/u],
  ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['han', /\p{Script=Han}/u],
];

const SINGLE: Partial<Record<Script, string>> = {
  hangul: 'ko',
  thai: 'th',
  kannada: 'kn',
  gurmukhi: 'pa',
  gujarati: 'gu',
  telugu: 'te',
  tamil: 'ta',
  bengali: 'bn',
  malayalam: 'ml',
  hebrew: 'he',
  greek: 'el',
  kana: 'ja',
  han: 'zh-cn',
};

interface Profile {
  /** Frequent function words (lower case). */
  words: Set<string>;
  /** Letters characteristic of the language within its script (each occurrence is weak evidence). */
  letters?: RegExp;
}

const words = (list: string): Set<string> => new Set(list.split(/\s+/).filter(Boolean));

const LATIN: Record<string, Profile> = {
  en: {
    words: words(
      'the and of to is in that it for you was with on are this be as have not but they he she we his her at by from or an will would can there their what which if about all so do has been were one my your more when who them than',
    ),
  },
  de: {
    words: words(
      'der die das und ist nicht ein eine zu mit den von sich auf für ich es im dem auch sie wir du ein einen einer eines wird werden sind war hat haben aber oder wenn wie noch nach bei aus über nur kann mein dein ihr uns auch',
    ),
    letters: /[äöüß]/g,
  },
  it: {
    words: words(
      'il di che e la per un una non sono è del della con gli le si questo anche più lo dei delle nel nella alla al ma come ci ho ha hanno essere da era sua suo molto tutto questa quando',
    ),
    letters: /[àèìòù]/g,
  },
  pt: {
    words: words(
      'o a de que e do da em um uma para com não os as é por mais se dos das no na ao você também mas foi ser são está isso ele ela muito como seu sua quando pelo pela nos nas entre',
    ),
    letters: /[ãõç]/g,
  },
  es: {
    words: words(
      'el la de que y en los las del un una por con no es se para su más pero como también lo le al está son fue ser muy esto este esta sus hay cuando porque sobre entre ya yo tu',
    ),
    letters: /[ñ¿¡]/g,
  },
  fr: {
    words: words(
      'le la les de des et est un une que qui dans pour pas sur ce il elle avec au du ne se sont nous vous ils mais ou plus comme tout être cette son sa ses était fait aux',
    ),
    letters: /[êèçœâîû]/g,
  },
  nl: {
    words: words(
      'de het een en van is dat niet op zijn ik je met voor er te die ook maar als aan om bij naar wat nog dit wordt kan hij zij',
    ),
  },
  vi: {
    words: words(
      'và của là có không được những các một trong cho này với người đã để khi thì từ như đến cũng về nhiều hơn tôi bạn chúng rất sẽ làm năm nhưng đó',
    ),
    letters: /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/g,
  },
  sw: {
    words: words(
      'na ya wa kwa ni za katika la cha kuwa hii hiyo yake watu sana pia lakini kama au hapa huu wake zao vya mimi wewe sisi yetu ambayo ambao kwamba hakuna kila kuhusu baada',
    ),
  },
  fi: {
    words: words(
      'ja on ei se että oli hän ovat mutta kuin tai joka myös tämä niin sen olla ole kun jos mitä minä sinä me te he siitä tässä kanssa vain sekä nyt jo',
    ),
    letters: /[äö]/g,
  },
  pl: { words: words('i w nie na się z że do to jest jak o po ale co tak za od jego dla czy są być przez ten ta'), letters: /[ąęłńśźż]/g },
  id: { words: words('yang dan di ini itu dengan untuk tidak dari dalam akan pada juga ke ada saya kami mereka adalah karena bisa') },
  tr: { words: words('ve bir bu da de için ile çok ne ama gibi daha olarak var sonra kadar ben sen o biz'), letters: /[ğışç]/g },
};

const CYRILLIC: Record<string, Profile> = {
  ru: {
    words: words(
      'и в не на что это как с по он она они был была было быть его её для или из от так только уже вы мы все также который которые может если когда есть очень чтобы себя',
    ),
    letters: /[ыэё]/g,
  },
  bg: {
    words: words(
      'и на да се е от за не с това са като във със които който че ще бе тя той те също много но ако при или има може един една което когато след',
    ),
    letters: /[а-я]ъ[а-я]/g,
  },
  uk: {
    words: words('і в не на що це як з по він вона вони був була було та для або від так також який які може якщо коли є дуже'),
    letters: /[іїєґ]/g,
  },
};

const DEVANAGARI: Record<string, Profile> = {
  hi: {
    words: words('है हैं और का की के में से नहीं यह था थे थी को पर भी एक लिए कि जो हो कर वह ये इस उस तो हम आप कुछ गया रहा'),
  },
  mr: {
    words: words('आहे आहेत आणि नाही हे ही व या ते की एक आम्ही तुम्ही मी त्या त्याचे त्याची मध्ये करण्यासाठी पण होते होता होती म्हणून साठी'),
    letters: /ळ/g,
  },
  ne: { words: words('छ छन् हो र को का की मा लाई पनि गर्न थियो थिए यो त्यो एक हुन्छ भने गरेको छैन हामी तपाईं उनी भएको') },
};

const ARABIC: Record<string, Profile> = {
  ar: { words: words('في من على أن إلى عن مع هذا هذه التي الذي كان كانت ما لا هو هي ذلك بين كل قد أو ثم إن'), letters: /[ةيكأإ]/g },
  fa: { words: words('و در به از که این را با است برای آن یک می تا هم شود بود کرد ها نیز اما یا شده خود'), letters: /[پچژگ]/g },
  ur: { words: words('اور کے کی میں ہے ہیں کو سے نے پر یہ وہ ایک تھا تھی بھی کہ لیے کر جو ہو'), letters: /[ٹڈڑںےہھ]/g },
};

const SHARED: Partial<Record<Script, Record<string, Profile>>> = {
  latin: LATIN,
  cyrillic: CYRILLIC,
  devanagari: DEVANAGARI,
  arabic: ARABIC,
};

/** The script most letters of the text are in, or null when there are no letters. */
function dominantScript(text: string): Script | null {
  const counts = new Map<Script, number>();
  for (const char of text) {
    if (!/\p{L}|\p{M}/u.test(char)) continue;
    const script = SCRIPTS.find(([, pattern]) => pattern.test(char))?.[0];
    if (script) counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  let best: Script | null = null;
  let bestCount = 0;
  for (const [script, count] of counts) {
    if (count > bestCount) [best, bestCount] = [script, count];
  }
  // Japanese mixes kana with Han: any substantial kana means Japanese.
  if (best === 'han' && (counts.get('kana') ?? 0) >= bestCount * 0.2) best = 'kana';
  return best;
}

function bestProfile(text: string, profiles: Record<string, Profile>): string {
  const tokens = text.toLowerCase().match(/[\p{L}\p{M}]+/gu) ?? [];
  let best = Object.keys(profiles)[0]!;
  let bestScore = -1;
  for (const [code, profile] of Object.entries(profiles)) {
    let score = 0;
    for (const token of tokens) if (profile.words.has(token)) score++;
    if (profile.letters) score += 0.5 * (text.toLowerCase().match(profile.letters)?.length ?? 0);
    if (score > bestScore) [best, bestScore] = [code, score];
  }
  return best;
}

/** The ISO 639-1 code of the text's language (langdetect-style; `zh-cn` for Chinese), or null when it has no letters. */
export function detectLanguage(text: string): string | null {
  const script = dominantScript(text);
  if (script === null) return null;
  const single = SINGLE[script];
  if (single) return single;
  return bestProfile(text, SHARED[script]!);
}
