// The plot shapes of the story generator: each a sequence of beats (one or two sentences), and each
// beat written in three moods. A neutral rendering uses no word AFINN scores; a positive one
// scores above zero and a negative one below (test/data/stories.test.ts renders every template to
// check). Rendering the same beat in another mood gives the ranking data its positive and negative
// versions of the corpus's own continuation, with the same characters, props and place.
//
// Variables (see templates.ts): h = the hero, p = the companion (a pet or a child), g = a grown-up,
// n = a child met in the story (introduced "named {n}"); {near} is the outdoor place by the home;
// each plot adds its props in `props`.
import type { Rng } from '../../../engine/rng.js';
import { BREAKABLES, COLORS, GAMES, PET_GAMES, PROJECTS, SPOTS, THINGS, TRIPS } from './lexicon.js';
import type { Vars } from './templates.js';

export type Mood = -1 | 0 | 1;

/** A beat's templates in each mood: neutral, positive, negative. */
export interface Beat {
  name: string;
  n: string[];
  p: string[];
  m: string[];
  /** Chance the beat is told at all (1 when absent). */
  optional?: number;
}

export interface Plot {
  name: string;
  /** Whether the closing beat (ENDING) may follow the plot's own last beat. */
  ending: boolean;
  /** Draws the plot's props; `pet` says whether the companion is an animal. */
  props(rng: Rng, pet: boolean): Vars;
  beats: Beat[];
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** n distinct items of xs. */
function distinct<T>(rng: Rng, xs: readonly T[], n: number): T[] {
  return rng.shuffle(xs.slice()).slice(0, n);
}

const lost: Plot = {
  name: 'lost',
  ending: true,
  props(rng) {
    const [thing, colored] = pick(rng, THINGS);
    const described = colored ? `${pick(rng, COLORS)} ${thing}` : thing;
    const [spot1, spot2, spot3] = distinct(rng, SPOTS, 3);
    return { thing, aThing: `${/^[aeiou]/.test(described) ? 'an' : 'a'} ${described}`, theThing: `the ${described}`, spot1, spot2, spot3 };
  },
  beats: [
    {
      name: 'have',
      n: ['{h} had {aThing}. {h.He} [took it everywhere|kept it in {h.his} room|played with it every day].', '{h.His} {thing} went with {h.him} [to the park|to the shop|to bed] every day.'],
      p: ['{h} had {aThing}. It was {h.his} favorite toy in the whole world.', '{h} had {aThing}, and {h.he} loved it very much.'],
      m: ['{h} had {aThing}. It was old and dirty, but {h.he} kept it anyway.', '{h} had {aThing}, but the other kids said it was ugly.'],
    },
    {
      name: 'lose',
      n: ['One [morning|day|afternoon], {h} could not find {theThing}.', 'Then one day, {theThing} was not in its place.'],
      p: ['One day, {h} could not find {theThing}, but {h.he} stayed calm.', 'One day, {theThing} was gone, but {h} smiled and said it had to be close.'],
      m: ['One day, {h} lost {theThing}. {h.He} was very sad.', 'One day, {theThing} was missing, and {h} began to cry.'],
    },
    {
      name: 'ask',
      n: ['kid:"Have you seen my {thing}?" {h} asked {p}. "We can look for it," said {p}.', 'pet:"Where is my {thing}, {p}?" {h} asked. {p} {p.sound} and {p.move} to the door.', '"[Where can it be|Where did it go]?" {h} asked. {p} looked around the room.'],
      p: ['kid:"Do not worry, we will find it," said {p} with a smile.', 'pet:"Will you help me, {p}?" asked {h}. {p} {p.sound} as if to say yes.', '"We will find it together," said {h}, and {h.he} felt brave.'],
      m: ['kid:"I will never see my {thing} again," {h} said. {p} looked worried.', 'pet:"It is gone," {h} said sadly. {p} lay down by {h.his} feet.', '"This is the worst day," said {h}, and {h.he} kicked the wall.'],
    },
    {
      name: 'search',
      n: ['{h} and {p} looked {spot1}. The {thing} was not there.', 'They looked {spot1} and {spot2}, but they did not find it.', 'First they looked {spot1}. Then they looked {spot2}.'],
      p: ['They had fun looking {spot1} and {spot2}.', 'They looked {spot1} and found a shiny coin. {h} was glad.'],
      m: ['They looked {spot1}, but it was dark and dusty, and {h} felt scared.', 'They looked {spot1} and {spot2}. The {thing} was still missing.'],
    },
    {
      name: 'find',
      n: ['pet:Then {p} {p.move} {spot3} and came back with the {thing}.', 'kid:Then {p} looked {spot3} and found the {thing}.', 'At last, {h} saw the {thing} {spot3}.'],
      p: ['At last, {h} found the {thing} {spot3}. {h.He} was so happy!', 'At last, {p} found the {thing} {spot3}, and {h} gave {p} a hug.'],
      m: ['At last, {h} found the {thing} {spot3}, but it was wet and muddy.', 'At last, they found the {thing} {spot3}, but it was broken.'],
    },
    {
      name: 'keep',
      optional: 0.6,
      n: ['From then on, {h} kept the {thing} in a box by {h.his} bed.', 'After that, {h} always put the {thing} on the shelf at night.'],
      p: ['From then on, {h} kept the {thing} safe in a box, and {h.he} was glad.', '{h} said thank you to {p}, and they both smiled.'],
      m: ['That night, {h} was still upset about the {thing}.', 'But {h} was still angry that the {thing} had gone missing.'],
    },
  ],
};

const make: Plot = {
  name: 'make',
  ending: true,
  props: (rng) => ({ ...pick(rng, PROJECTS) }),
  beats: [
    {
      name: 'plan',
      n: ['One [morning|day|afternoon], {h} decided to make {what} {at}.', '{h} wanted to make {what} {at}.'],
      p: ['One day, {h} was excited to make {what} {at}.', 'One fine day, {h} had a great idea: {h.he} would make {what} {at}.'],
      m: ['One day, {h} had to make {what} {at}, but {h.he} was bored.', 'One gloomy day, {h} tried to make {what} {at}.'],
    },
    {
      name: 'start',
      n: ['kid:{p} came over, and they got to work.', 'pet:{p} sat and watched as {h} got to work.', '{h} got everything {h.he} needed and started.'],
      p: ['kid:{p} came to help, and they worked together.', 'pet:{p} sat close by, and {h} was happy to have {p.him} there.'],
      m: ['kid:{p} came over, but {p.he} only made a mess.', 'pet:{p} kept getting in the way, and {h} got angry.', '{h} started, but it was hard, and {h.he} was tired.'],
    },
    {
      name: 'talk',
      optional: 0.7,
      n: ['kid:"What should we do first?" asked {p}. "We need to start at the bottom," said {h}.', 'pet:"Sit here, {p}," said {h}. {p} sat down and waited.', '"How long will it take?" asked {h}. "Not long," said {g}.'],
      p: ['"This is going to be great!" said {h}.', 'kid:"I love making things," said {p}.', '"You are doing a good job," {g} told {h}.'],
      m: ['"This is too hard, and I am tired," said {h}.', 'kid:"This is boring," said {p}.', '"Stop making a mess," {g} told {h}.'],
    },
    {
      name: 'mishap',
      n: ['Then {mishap}.', 'But when it was half done, {mishap}.'],
      p: ['Then {mishap}, but {h} laughed and said it was fine.', 'Then {mishap}, but {h} smiled and tried again.'],
      m: ['Then {mishap}. {h} was so angry.', 'Then {mishap}, and {h} began to cry. {h.He} felt terrible.'],
    },
    {
      name: 'fix',
      n: ['kid:{h} and {p} {fix}.', '{h} {fix}.', 'So {h} {fix}, and {p} watched.'],
      p: ['{h} and {p} {fix}, and this time it was perfect.', '{h} {fix}, and it looked even better than before.'],
      m: ['{h} {fix}, but it still looked bad.', '{h} {fix}, but {h.he} was upset the whole time.'],
    },
    {
      name: 'show',
      n: ['When the {noun} was done, {h} showed it to {g}.', 'At last the {noun} was done.'],
      p: ['When the {noun} was done, {g} said it was wonderful.', 'At last the {noun} was done, and {h} was very proud.'],
      m: ['When the {noun} was done, it looked ugly.', 'At last the {noun} was done, but nobody came to see it, and {h} felt sad.'],
    },
  ],
};

const trip: Plot = {
  name: 'trip',
  ending: false,
  props(rng) {
    const t = pick(rng, TRIPS);
    const [sight1, sight2] = distinct(rng, t.sights, 2);
    return { dest: t.dest, sight1, sight2, event: t.event };
  },
  beats: [
    {
      name: 'go',
      n: ['One [morning|Saturday|day], {g} took {h} and {p} to {dest}.', 'One day, {h} and {p} went to {dest} with {g}.'],
      p: ['One morning, {g} said they could go to {dest}. {h} was so excited.', 'One lovely day, {g} took {h} and {p} to {dest}.'],
      m: ['One rainy morning, {g} took {h} to {dest}, but {h} was tired.', 'One day, {h} had to go to {dest}, but {h.he} did not like the idea.'],
    },
    {
      name: 'ride',
      optional: 0.6,
      n: ['They [rode the bus|walked down the road|drove for an hour] to get there.', 'On the way, they counted the cars on the road.'],
      p: ['On the way, they sang happy songs.', 'On the way, {h} saw a rainbow and smiled.'],
      m: ['On the way, the bus was slow and hot, and {h} felt sick.', 'On the way, {p} and {h} had a fight.'],
    },
    {
      name: 'see',
      n: ['At {dest}, they saw {sight1} and {sight2}.', 'First they saw {sight1}. Then they saw {sight2}.'],
      p: ['At {dest}, they saw {sight1}. {h} thought it was beautiful.', 'They saw {sight1} and {sight2}, and {h} loved it all.'],
      m: ['At {dest}, {h} saw {sight1}, but it was too far away, and {h.he} was disappointed.', 'They saw {sight1}, but it was very crowded and noisy.'],
    },
    {
      name: 'talk',
      optional: 0.7,
      n: ['"Look at that!" said {h}, and pointed at {sight2}.', 'kid:"Can we stay a little longer?" asked {p}.', 'pet:{p} {p.sound} when {p.he} saw {sight2}.'],
      p: ['"This is amazing!" said {h}.', 'kid:"This is the best day," said {p}.', 'pet:{p} {p.sound}, and {h} laughed. "You like it here too," said {h}.'],
      m: ['"I do not like it here," said {h}.', 'kid:"I am hungry and my feet hurt," said {p}.', 'pet:{p} {p.sound} at {sight2}, and a man shouted at them to stop.'],
    },
    {
      name: 'event',
      n: ['Then {event}.', 'After a while, {event}.'],
      p: ['Then {event}. Everyone smiled.', 'Then {event}. It was so much fun.'],
      m: ['Then {event}, and {h} was scared.', 'Then {event}, but {h} was too sick and tired to look.'],
    },
    {
      name: 'home',
      n: ['In the evening, they went back home.', 'Then it was time to go home.'],
      p: ['In the evening, they went home happy.', 'On the way home, {h} said it was a wonderful trip.'],
      m: ['On the way home, it started to rain, and everyone was miserable.', 'On the way home, {h} fell asleep, tired and grumpy, and {h.he} cried.'],
    },
  ],
};

const meet: Plot = {
  name: 'meet',
  ending: false,
  props: (rng, pet) => ({ game: pick(rng, pet ? PET_GAMES : GAMES) }),
  beats: [
    {
      name: 'go',
      n: ['One day, {h} went to {near} with {p}.', 'On Sunday, {h} and {p} walked to {near}.'],
      p: ['One sunny day, {h} went to {near} with {p}. {h.He} felt happy.', 'One lovely morning, {h} and {p} walked to {near}.'],
      m: ['One day, {h} went to {near} with {p}, but {h.he} felt lonely.', 'On a cold, gloomy day, {h} and {p} walked to {near}.'],
    },
    {
      name: 'see',
      n: ['There, {h} saw a {n.kind} named {n} sitting on a bench by {n.him}self.', 'There was a new {n.kind} named {n} at {near}.'],
      p: ['There, {h} saw a {n.kind} named {n} with a kind face.', 'There was a new {n.kind} at {near}, a friendly {n.kind} named {n}.'],
      m: ['There, {h} saw a {n.kind} named {n} who looked sad and alone.', 'There was a new {n.kind} named {n} at {near}, and {n.he} was crying.'],
    },
    {
      name: 'hello',
      n: ['{h} walked up and said, "Hello, my name is {h}." "I am {n}," said the {n.kind}.', '"Hi," said {h}. "I am {n}," said the {n.kind}. "I just moved here."'],
      p: ['"Would you like to play with us?" asked {h}. {n} smiled.', '{h} said hello, and {n} smiled a big smile.'],
      m: ['{h} said hello, but {n} was shy and scared.', '"Go away," said {n}, and {h} felt hurt.'],
    },
    {
      name: 'play',
      n: ['{h}, {n} and {p} played {game}.', 'They played {game} [until lunch|for a long time|all afternoon].'],
      p: ['{h}, {n} and {p} played {game}. They had so much fun.', 'They played {game}, and {n} laughed and laughed.'],
      m: ['They played {game}, but {n} fell and hurt {n.his} knee.', 'They played {game}, but {n} was a bad sport and shouted at {h}.'],
    },
    {
      name: 'share',
      optional: 0.6,
      n: ['At lunch, {h} gave {n} half of {h.his} sandwich.', 'Then they sat on the grass and ate apples.'],
      p: ['At lunch, {h} gave {n} half of {h.his} sandwich, and {n} said thank you.', 'Then they sat on the grass and shared a sweet orange.'],
      m: ['At lunch, {h} gave {n} half of {h.his} sandwich, but {n} threw it away. {h} felt sad.', 'Then it started to rain, and they had to stop.'],
    },
    {
      name: 'after',
      n: ['After that, {h} and {n} met at {near} every day.', 'The next day, {n} came to {h.his} house to play.'],
      p: ['After that, {h} and {n} were best friends.', 'From that day on, {h} had a new friend.'],
      m: ['The next day, {n} did not come back, and {h} missed {n.him}.', 'After that, {h} did not see {n} again, and {h.he} was lonely.'],
    },
  ],
};

const fix: Plot = {
  name: 'fix',
  ending: true,
  props: (rng) => {
    const b = pick(rng, BREAKABLES);
    return { toy: b.thing, part: b.part };
  },
  beats: [
    {
      name: 'play',
      n: ['One afternoon, {h} was playing with {h.his} {toy} in the yard.', '{h} had a {toy} that {h.he} played with every day.'],
      p: ['One afternoon, {h} was playing with {h.his} favorite {toy}, and {h.he} was having fun.', '{h} had a {toy} that {h.he} loved.'],
      m: ['One afternoon, {h} was bored, so {h.he} played with {h.his} old {toy}.', '{h} had a {toy}, but it was old and ugly.'],
    },
    {
      name: 'break',
      n: ['Suddenly, {part} came off the {toy}.', 'Then {h} heard a snap, and {part} came off the {toy}.'],
      p: ['Suddenly, {part} came off the {toy}, but {h} stayed calm.', 'Then {part} came off the {toy}, but {h} smiled. "We can fix that," {h.he} said.'],
      m: ['Suddenly, {part} came off the {toy}. {h} was very upset.', 'Then {part} came off the {toy}, and {h} started to cry.'],
    },
    {
      name: 'ask',
      n: ['{h} took the {toy} to {g}. "Can you fix it?" {h.he} asked.', '{h} showed the {toy} to {g}.'],
      p: ['"Do not worry," said {g}. "We can fix it together."', '{g.Name} gave {h} a hug and said they would fix it.'],
      m: ['"I broke it," {h} said, and tears ran down {h.his} face.', '"You should be more careful," said {g}, and {h} felt bad.'],
    },
    {
      name: 'mend',
      n: ['{g.Name} got some glue and a small brush.', '{g.Name} got the tool box from the shed.', '{g.Name} and {h} sat at the table with the {toy}.'],
      p: ['{g.Name} showed {h} how to fix it, and {h} was proud to help.', '{g.Name} and {h} worked together, and it was fun.'],
      m: ['The first glue did not work, and {g} was angry.', 'It took a long time, and {h} was tired and upset.'],
    },
    {
      name: 'done',
      n: ['Soon {part} was back on the {toy}.', 'After a while, the {toy} was in one piece again.'],
      p: ['Soon the {toy} was as good as new, and {h} gave {g} a hug.', 'Soon the {toy} was fixed, and {h} was so happy.'],
      m: ['The {toy} worked again, but it never looked the same, and {h} was sad.', 'The {toy} was in one piece again, but it was ugly now.'],
    },
  ],
};

const game: Plot = {
  name: 'game',
  ending: true,
  props: (rng, pet) => ({ game: pick(rng, pet ? PET_GAMES : GAMES) }),
  beats: [
    {
      name: 'go',
      n: ['After school, {h} and {p} went to {near} to play.', 'On Saturday, {h} took {p} to {near}.'],
      p: ['After school, {h} and {p} ran to {near}, excited to play.', 'On a warm Saturday, {h} and {p} went to {near}.'],
      m: ['After a bad day at school, {h} went to {near} with {p}.', 'On a cold, rainy Saturday, {h} and {p} went to {near}.'],
    },
    {
      name: 'choose',
      n: ['kid:"Let us play {game}," said {p}.', 'pet:{h} threw a stick, and {p} {p.move} after it.', 'They decided to play {game}.'],
      p: ['kid:"I love {game}!" said {p}.', 'pet:{p} {p.sound} with joy and {p.move} in a circle.', 'They played {game}, and {h} was glad to be outside.'],
      m: ['kid:"I do not want to play {game}," said {p}, but they played anyway.', 'pet:{p} would not come when {h} called, and {h} was angry.'],
    },
    {
      name: 'play',
      n: ['They played {game} for a long time.', 'They played {game} all afternoon.'],
      p: ['They played {game}, and {h} laughed and laughed.', 'They had so much fun playing {game}.'],
      m: ['They played {game}, but {h} kept tripping, and {h.he} got angry.', 'They played {game}, but it was boring.'],
    },
    {
      name: 'fall',
      n: ['Then {h} tripped over a root and fell on the grass.', 'Then {h} slipped on the wet grass and sat down.'],
      p: ['Then {h} fell on the soft grass, but {h.he} got up and laughed.', 'Then {h} slipped, but {h.he} was fine and laughed.'],
      m: ['Then {h} fell. {h.His} knee hurt, and {h.he} began to cry.', 'Then {h} fell into the mud. {h.He} was dirty and upset.'],
    },
    {
      name: 'after',
      n: ['kid:{p} ran over and held out {p.his} hand.', 'pet:{p} {p.move} over and sat next to {h}.'],
      p: ['kid:{p} helped {h} up and gave {h.him} a hug.', 'pet:{p} {p.move} over to {h}, and {h} smiled.'],
      m: ['kid:{p} did not see, and {h} sat alone on the grass.', 'pet:{p} {p.move} away, and {h} sat alone on the grass.'],
    },
  ],
};

const storm: Plot = {
  name: 'storm',
  ending: false,
  props: () => ({}),
  beats: [
    {
      name: 'night',
      n: ['One night, there was a storm.', 'One evening, the wind began to blow, and the rain came down.'],
      p: ['One night, there was a storm, but {h} felt safe and warm in bed.', 'One night, there was a storm, and {h} liked the sound of the rain.'],
      m: ['One night, there was a loud storm, and {h} was afraid of the thunder.', 'One night, a terrible storm came.'],
    },
    {
      name: 'dark',
      n: ['The windows shook, and the lights went out.', 'The trees outside moved in the wind.'],
      p: ['The lights went out, so {g} lit some candles, and the room looked lovely.', 'The house was dark, but it was cozy and calm.'],
      m: ['The lights went out, and the house was dark and scary.', 'A branch hit the window, and {h} screamed.'],
    },
    {
      name: 'pal',
      n: ['pet:{p} came and lay down next to {h}.', 'kid:{p} was staying the night, and the two of them sat on the bed.'],
      p: ['pet:{p} came and curled up next to {h}, and {h} felt calm.', 'kid:{p} was staying the night, and they told jokes and laughed.'],
      m: ['pet:{p} was scared too and hid under the bed.', 'kid:{p} was staying the night, and {p.he} started to cry.'],
    },
    {
      name: 'talk',
      n: ['"What is that noise?" asked {h}. "It is only the wind," said {g}.', '{g.Name} came in and sat on the bed.'],
      p: ['{g.Name} told them a funny story, and they laughed.', '"You are very brave," said {g}, and gave {h} a hug.'],
      m: ['"I want it to stop," {h} cried.', '"Go back to sleep," said {g}, and {g.he} sounded angry.'],
    },
    {
      name: 'morning',
      n: ['In the morning, the storm was over, and there were puddles everywhere.', 'When {h} woke up, the rain had gone.'],
      p: ['In the morning, the sun was out, and the sky was beautiful.', 'In the morning, {h} and {p} jumped in the puddles and had fun.'],
      m: ['In the morning, they saw that the storm had broken the fence.', 'In the morning, the garden was a mess, and {h} was sad.'],
    },
  ],
};

export const PLOTS: Plot[] = [lost, make, trip, meet, fix, game, storm];

/** The first two beats of every story: who, where, and with whom (always neutral, so a story's
 * opening never gives its mood away). */
export const INTRO: Beat[] = [
  {
    name: 'intro',
    n: ['{opener}, there was a little {h.kind} named {h}. {h.He} lived in {home}.', '{opener}, a little {h.kind} named {h} lived in {home}.'],
    p: [], m: [],
  },
  {
    name: 'companion',
    n: ['pet:{h} had a {p.kind} named {p}.', 'pet:{h.He} lived there with {h.his} {p.kind}, {p}.', 'kid:A {p.kind} named {p} lived next door.', 'kid:{h} often played with a {p.kind} named {p}.'],
    p: [], m: [],
  },
];

/** A closing beat any plot may end with. */
export const ENDING: Beat = {
  name: 'ending',
  optional: 0.5,
  n: ['That night, {h} went to bed early.', 'Then it was time for dinner, and {h} went inside.', 'The sun went down, and everyone went home.'],
  p: ['It was the best day ever.', 'That night, {h} went to sleep with a smile.', '{h} and {p} had a wonderful day.'],
  m: ['That night, {h} went to bed sad and tired.', 'It had been a long, bad day.'],
};
