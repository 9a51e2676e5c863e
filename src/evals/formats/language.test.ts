import { describe, expect, it } from 'vitest';
import { detectLanguage } from './language.js';

/** One short paragraph in each language IFEval's input_data.jsonl asks for, and English. */
const SAMPLES: [string, string][] = [
  ['en', 'The weather is nice today and we are going to the park with our friends. I do not have much time, but this is something I like.'],
  [
    'de',
    'Das Wetter ist heute schön und wir gehen mit unseren Freunden in den Park. Ich habe nicht viel Zeit, aber das ist etwas, das ich mag.',
  ],
  ['it', 'Il tempo oggi è bello e andiamo al parco con i nostri amici. Non ho molto tempo, ma questa è una cosa che mi piace.'],
  ['pt', 'O tempo hoje está bonito e nós vamos ao parque com os nossos amigos. Não tenho muito tempo, mas isso é uma coisa que eu gosto.'],
  ['vi', 'Hôm nay thời tiết rất đẹp và chúng tôi sẽ đi đến công viên với những người bạn của mình. Tôi không có nhiều thời gian.'],
  [
    'sw',
    'Hali ya hewa leo ni nzuri na tunaenda kwenye bustani pamoja na marafiki zetu. Sina muda mwingi, lakini hii ni kitu ambacho napenda sana.',
  ],
  ['fi', 'Sää on tänään kaunis ja me menemme puistoon ystäviemme kanssa. Minulla ei ole paljon aikaa, mutta tämä on asia, josta pidän.'],
  ['ru', 'Сегодня хорошая погода, и мы идём в парк с нашими друзьями. У меня мало времени, но это то, что мне очень нравится.'],
  ['bg', 'Днес времето е хубаво и ние отиваме в парка с нашите приятели. Нямам много време, но това е нещо, което много харесвам.'],
  ['hi', 'आज मौसम बहुत अच्छा है और हम अपने दोस्तों के साथ पार्क में जा रहे हैं। मेरे पास ज़्यादा समय नहीं है, लेकिन यह मुझे पसंद है।'],
  ['mr', 'आज हवामान खूप छान आहे आणि आम्ही आमच्या मित्रांसोबत बागेत जात आहोत. माझ्याकडे जास्त वेळ नाही, पण हे मला आवडते.'],
  ['ne', 'आज मौसम धेरै राम्रो छ र हामी हाम्रा साथीहरूसँग पार्कमा जाँदैछौं। मसँग धेरै समय छैन, तर यो मलाई मन पर्छ।'],
  ['ar', 'الطقس اليوم جميل ونحن ذاهبون إلى الحديقة مع أصدقائنا. ليس لدي الكثير من الوقت، لكن هذا شيء أحبه كثيرا.'],
  ['fa', 'هوا امروز خوب است و ما با دوستانمان به پارک می‌رویم. من وقت زیادی ندارم، اما این چیزی است که دوست دارم.'],
  ['ur', 'آج موسم بہت اچھا ہے اور ہم اپنے دوستوں کے ساتھ پارک جا رہے ہیں۔ میرے پاس زیادہ وقت نہیں ہے، لیکن یہ مجھے پسند ہے۔'],
  ['ko', '오늘 날씨가 좋아서 친구들과 함께 공원에 갑니다. 시간이 많지 않지만 이것을 좋아합니다.'],
  ['th', 'วันนี้อากาศดีมาก และเราจะไปสวนสาธารณะกับเพื่อน ๆ'],
  ['kn', 'ಇಂದು ಹವಾಮಾನ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ ಮತ್ತು ನಾವು ನಮ್ಮ ಸ್ನೇಹಿತರೊಂದಿಗೆ ಉದ್ಯಾನಕ್ಕೆ ಹೋಗುತ್ತಿದ್ದೇವೆ.'],
  ['pa', 'ਅੱਜ ਮੌਸਮ ਬਹੁਤ ਵਧੀਆ ਹੈ ਅਤੇ ਅਸੀਂ ਆਪਣੇ ਦੋਸਤਾਂ ਨਾਲ ਪਾਰਕ ਜਾ ਰਹੇ ਹਾਂ।'],
  ['gu', 'આજે હવામાન ખૂબ સરસ છે અને અમે અમારા મિત્રો સાથે બગીચામાં જઈ રહ્યા છીએ.'],
  ['te', 'ఈ రోజు వాతావరణం చాలా బాగుంది మరియు మేము మా స్నేహితులతో పార్కుకు వెళ్తున్నాము.'],
  ['ta', 'இன்று வானிலை மிகவும் நன்றாக உள்ளது, நாங்கள் எங்கள் நண்பர்களுடன் பூங்காவுக்குச் செல்கிறோம்.'],
  ['bn', 'আজ আবহাওয়া খুব সুন্দর এবং আমরা আমাদের বন্ধুদের সাথে পার্কে যাচ্ছি।'],
  ['es', 'El tiempo hoy es bueno y vamos al parque con nuestros amigos. No tengo mucho tiempo, pero esto es algo que me gusta.'],
  ['fr', "Il fait beau aujourd'hui et nous allons au parc avec nos amis. Je n'ai pas beaucoup de temps, mais c'est une chose que j'aime."],
  ['ja', '今日は天気がいいので、友達と一緒に公園に行きます。'],
  ['zh-cn', '今天天气很好，我们和朋友一起去公园。'],
];

describe('language detection', () => {
  it.each(SAMPLES)('%s', (code, text) => {
    expect(detectLanguage(text)).toBe(code);
  });

  it('reads upper-case English as English', () => {
    expect(detectLanguage('THE WEATHER IS NICE TODAY AND WE ARE GOING TO THE PARK.')).toBe('en');
  });

  it('goes by the script most letters are in', () => {
    expect(detectLanguage('आज मौसम बहुत अच्छा है और हम पार्क में हैं (park, OK)।')).toBe('hi');
  });

  it('finds no language without letters', () => {
    expect(detectLanguage('123 !!! ...')).toBeNull();
  });
});
