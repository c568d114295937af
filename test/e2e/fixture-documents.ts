/**
 * The folder the browser test indexes: four short notes on unrelated topics, so a query made of
 * one note's words has exactly one right answer (the test embedder matches shared words).
 */
export const FIXTURE_FILES: Record<string, string> = {
  'volcanoes.md': `# Volcanoes of Iceland

Iceland sits on the Mid-Atlantic Ridge, where the North American and Eurasian plates pull apart.
Basalt lava from fissure eruptions such as Holuhraun in 2014 covered eighty-five square kilometres.
Geologists track magma movement with seismometers and GPS stations before an eruption.
`,
  'sourdough.txt': `Sourdough bread notes

Feed the levain the evening before baking: equal weights of flour and water, left at room
temperature. A dough at seventy-five percent hydration with a lively levain rises in about five
hours. Fold the dough every half hour, shape it, proof it overnight in the fridge, then bake in a
covered pot at two hundred and fifty degrees for a crisp, blistered crust.
`,
  'tides.md': `# Why the ocean has tides

The Moon's gravity pulls the oceans into two bulges, one facing the Moon and one on the far side.
As the Earth turns, a coast passes through both bulges, giving two high tides a day. Spring tides
come at new and full moon, when the Sun and Moon line up; neap tides at the quarter moons.
`,
  'chess-openings.txt': `Chess openings for beginners

The Italian Game starts 1.e4 e5 2.Nf3 Nc6 3.Bc4 and aims the bishop at the weak f7 square.
The Sicilian Defence, 1.e4 c5, fights for the centre asymmetrically and leads to sharp play.
Castle early, develop knights before bishops, and do not move the queen out too soon.
`,
};

export const SEARCH_QUERY = 'sourdough levain hydration';
export const SEARCH_TARGET = 'sourdough.txt';
/** Text the document viewer must show for the opened result. */
export const SEARCH_TARGET_PHRASE = 'seventy-five percent hydration';

/** Two more small collections (created through the API) so the dashboard shows several cards. */
export const EXTRA_COLLECTIONS: ReadonlyArray<{ name: string; description: string; folder: string; files: Record<string, string> }> = [
  {
    name: 'Team handbook',
    description: 'How we work: on-call, releases and onboarding.',
    folder: 'team-handbook',
    files: {
      'on-call.md': `# On-call\n\nThe on-call engineer answers pages within fifteen minutes and writes an incident note the same day.\n`,
      'releases.md': `# Releases\n\nWe release on Tuesdays. Every release has a changelog entry and a rollback plan.\n`,
      'onboarding.md': `# Onboarding\n\nNew joiners pair with a buddy for their first two weeks and ship a small change in week one.\n`,
    },
  },
  {
    name: 'Travel journal',
    description: 'Trip notes, 2024–2025.',
    folder: 'travel-journal',
    files: {
      'lisbon.txt': `Lisbon, April. Tram 28 up to Alfama at dawn, custard tarts in Belém, sunset from the Miradouro da Graça.\n`,
      'kyoto.txt': `Kyoto, November. Maple leaves at Tofuku-ji, the bamboo grove in Arashiyama before the crowds, kaiseki dinner in Gion.\n`,
    },
  },
];
