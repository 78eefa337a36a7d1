// The story generator's cast and props. Every word here is neutral under AFINN-165 (the `sentiment`
// package's lexicon; test/data/stories.test.ts checks each one), so a story's sentiment comes only
// from the moods its plot beats are rendered in (plots.ts), never from a name or a prop. Words
// AFINN scores that a children's story would reach for are kept out of the neutral lists on
// purpose: "friend" (+1), "big" (+1), "top" (+2), "help" (+2), "want" (+1), "blocks" (−1),
// "hide" (−1), "loose" (−3), "stuck" (−2), "lost" (−3).

/** A character and the words that point back to it. */
export interface Character {
  /** How narration names it: "Lily", "her mom". */
  name: string;
  /** Sentence-initial form of name: "Lily", "Her mom". */
  Name: string;
  he: string;
  him: string;
  his: string;
  /** "girl", "boy", "dog", "mom". */
  kind: string;
  isPet: boolean;
  /** A pet's sound where a child would speak ("barked"), and how it moves ("hopped"). */
  sound?: string;
  move?: string;
}

export const GIRLS = ['Lily', 'Mia', 'Anna', 'Sara', 'Emma', 'Lucy', 'Zoe', 'Ella', 'Ruby', 'Amy', 'Kate', 'Nina', 'Rosa', 'Ivy', 'Maya', 'Tess'];
export const BOYS = ['Tom', 'Ben', 'Sam', 'Leo', 'Jack', 'Tim', 'Finn', 'Jake', 'Noah', 'Dan', 'Ned', 'Joe', 'Alex', 'Owen', 'Eli', 'Theo'];

/** Pets: the animal, what it does where a child would speak, and how it moves. */
export interface PetKind { kind: string; sound: string; move: string }
export const PET_KINDS: PetKind[] = [
  { kind: 'dog', sound: 'barked', move: 'ran' },
  { kind: 'puppy', sound: 'barked', move: 'ran' },
  { kind: 'cat', sound: 'meowed', move: 'ran' },
  { kind: 'kitten', sound: 'meowed', move: 'ran' },
  { kind: 'bunny', sound: 'wiggled its nose', move: 'hopped' },
  { kind: 'duck', sound: 'quacked', move: 'waddled' },
  { kind: 'pony', sound: 'neighed', move: 'trotted' },
  { kind: 'parrot', sound: 'squawked', move: 'flew' },
];
export const PET_NAMES_HE = ['Max', 'Rex', 'Milo', 'Bo', 'Pip', 'Patch', 'Ziggy', 'Bean'];
export const PET_NAMES_SHE = ['Coco', 'Luna', 'Daisy', 'Bella', 'Pepper', 'Socks', 'Rosie', 'Nell'];

/** Every name a story can give a character, for the rubric's "no stranger" check. */
export const ALL_NAMES = [...GIRLS, ...BOYS, ...PET_NAMES_HE, ...PET_NAMES_SHE];

export const GROWNUPS: { title: string; he: 'she' | 'he' }[] = [
  { title: 'mom', he: 'she' }, { title: 'dad', he: 'he' }, { title: 'grandma', he: 'she' }, { title: 'grandpa', he: 'he' },
];

/** Where the hero lives, and the outdoor place close by that plots send the characters to. */
export const HOMES: { home: string; near: string }[] = [
  { home: 'a small house near the woods', near: 'the woods' },
  { home: 'a little town by the sea', near: 'the beach' },
  { home: 'a farm house at the end of a long road', near: 'the field' },
  { home: 'a tall building in the city', near: 'the park' },
  { home: 'a quiet village with a pond', near: 'the pond' },
  { home: 'a yellow house on a hill', near: 'the hill' },
  { home: 'a cabin by the lake', near: 'the lake' },
  { home: 'a blue house next to the park', near: 'the park' },
  { home: 'an old house with a red door', near: 'the garden' },
  { home: 'a small flat above a bakery', near: 'the market' },
];

export const COLORS = ['red', 'blue', 'green', 'yellow', 'pink', 'purple', 'orange', 'brown'];

/** Things a child keeps and can mislay: [noun, whether a color fits]. */
export const THINGS: [string, boolean][] = [
  ['ball', true], ['hat', true], ['kite', true], ['cup', true], ['toy boat', true], ['toy car', true],
  ['teddy bear', false], ['book about stars', false], ['wooden train', false], ['scarf', true], ['bucket', true], ['crayon', true],
];

/** Where a lost thing is looked for, and where it turns up. */
export const SPOTS = [
  'under the bed', 'behind the door', 'in the toy box', 'under the table', 'in the garden', 'by the old tree',
  'under the couch', 'in the kitchen', 'on the shelf', 'in the yard', 'behind the shed', 'in the closet',
];

/** Things to make: what, where it is made, what goes wrong, and how it is put right. */
export interface Project { what: string; noun: string; at: string; mishap: string; fix: string }
export const PROJECTS: Project[] = [
  { what: 'a sandcastle', noun: 'sandcastle', at: 'on the beach', mishap: 'a wave came and washed the walls away', fix: 'built the walls again, far from the water' },
  { what: 'a cake', noun: 'cake', at: 'in the kitchen', mishap: 'the flour went all over the floor', fix: 'swept the floor and mixed a new bowl of flour and eggs' },
  { what: 'a kite', noun: 'kite', at: 'in the yard', mishap: 'the wind pulled the kite into a tree', fix: 'pulled the string slowly until the kite came down' },
  { what: 'a tall tower of cups', noun: 'tower', at: 'in the living room', mishap: 'the tower fell over', fix: 'put the cups back one by one' },
  { what: 'a card for grandma', noun: 'card', at: 'at the table', mishap: 'the paint ran off the page', fix: 'waited for the page to dry and painted it again' },
  { what: 'a snowman', noun: 'snowman', at: 'in the yard', mishap: 'the head of the snowman rolled off', fix: 'put the head back and pressed more snow around it' },
  { what: 'a paper boat', noun: 'boat', at: 'by the pond', mishap: 'the boat filled with water and sank', fix: 'folded a new boat from thicker paper' },
  { what: 'a house for the birds', noun: 'bird house', at: 'in the garden', mishap: 'the roof slid off', fix: 'put the roof back with two more nails' },
];

/** Outings: the place, what is seen there, and something that happens. */
export interface Trip { dest: string; sights: string[]; event: string }
export const TRIPS: Trip[] = [
  { dest: 'the zoo', sights: ['a tall giraffe', 'two sleepy lions', 'a family of monkeys', 'a zebra with black stripes'], event: 'a monkey came close to the glass and looked at them' },
  { dest: 'the beach', sights: ['pink shells', 'a little crab', 'white boats', 'birds over the water'], event: 'a wave came up and splashed their feet' },
  { dest: 'the farm', sights: ['brown cows', 'a pig in the mud', 'hens and chicks', 'a red tractor'], event: 'a goat walked up and ate some grass from their hands' },
  { dest: 'the market', sights: ['red apples', 'loaves of bread', 'jars of honey', 'a man selling hats'], event: 'a woman gave them a slice of apple pie to try' },
  { dest: 'the lake', sights: ['ducks', 'a boat with a white sail', 'fish in the water', 'a wooden bridge'], event: 'a duck swam up to them with six little ducklings' },
  { dest: 'the woods', sights: ['tall trees', 'a little stream', 'a deer', 'a squirrel with a nut'], event: 'they found a bird nest with three blue eggs' },
  { dest: 'the museum', sights: ['old coins', 'a giant dinosaur', 'a painting of the sea', 'a model of the moon'], event: 'a guide showed them a room full of old clocks' },
];

/** Games two children (or a child and a pet) can play. */
export const GAMES = ['tag', 'catch', 'jump rope', 'hopscotch', 'ball', 'a game of chase'];
/** Games a child plays with a pet. */
export const PET_GAMES = ['fetch', 'chase', 'ball'];

/** Toys that come apart, and the part that comes off. */
export const BREAKABLES: { thing: string; part: string }[] = [
  { thing: 'toy car', part: 'a wheel' }, { thing: 'doll', part: 'an arm' }, { thing: 'bike', part: 'the chain' },
  { thing: 'wagon', part: 'a wheel' }, { thing: 'robot', part: 'a leg' }, { thing: 'music box', part: 'the lid' },
];

export const OPENERS = ['Once upon a time', 'One day', 'Long ago', 'Not long ago', 'Once'];
