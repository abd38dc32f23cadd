"""The method page: every choice of an analysis, its default and what it means for the reader.

Written in Swedish for the politician who reads the decision document, not for the
analyst. :func:`method_page` returns sections (a heading and paragraphs of plain text);
the app shows them and the HTML export writes them, escaped. The text follows the
settings, so a changed choice changes the page, and says where it differs from the default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from indicators.allocation import WEIGHTINGS
from indicators.clusters import (
    ALPHA,
    MIN_POWER,
    PERMUTATIONS,
    POWER_CLUSTER,
    POWER_LIFT,
    most_areas_with_permutations,
    smallest_p,
)
from indicators.columns import AGGREGATIONS, DOMAINS, MISSING_POLICIES, NORMALISATIONS
from indicators.disclosure import band_text
from indicators.outliers import KURTOSIS_LIMIT, MAX_WINSORISED, SKEW_LIMIT
from indicators.ranking import MPI_MEAN, MPI_SD, mpi_example
from indicators.recommendation import INTENSITY_MEANINGS, PROTECTIVE_DOMAINS
from indicators.reference import KOMMUN, Reference
from indicators.settings import SMOOTHING, AnalysisSettings
from indicators.swedish import format_integer, format_kronor, format_number, format_percent
from indicators.tiers import NO_RANK, TIERS
from indicators.uncertainty import RANK_DRAWS_MAX_CELLS

DEFAULTS = AnalysisSettings(indicator_weights=(("x", 1.0),))

SOURCES = (
    "CDC/ATSDR Social Vulnerability Index (SVI), dokumentation 2022: percentilrang per "
    "indikator och flaggor för områden i den översta tiondelen.",
    "Ministry of Housing, Communities & Local Government, The English Indices of Deprivation "
    "2019, Technical report: utjämning av små områdens andelar (empirisk Bayes).",
    "De Muro, Mazziotta & Pareto (2011), Composite Indices of Development and Poverty: An "
    "Application to MDGs, Social Indicators Research 104:1–18: Mazziotta–Pareto-index "
    "(MPI) med tillägg för ojämna värden när högre betyder större behov.",
    "COINr (Becker m.fl., Joint Research Centre): osäkerhets- och känslighetsanalys av "
    "sammansatta index, Monte Carlo över vikter och metodval, rangintervall.",
    "PySAL (libpysal, esda): rumsliga vikter, lokal Moran's I och Getis-Ord Gi* med "
    "permutationstest; prevmap räknar dem själv på samma sätt som esda och får samma värden.",
    "Benjamini & Hochberg (1995): kontroll av andelen falska upptäckter (FDR) när många "
    "områden testas samtidigt.",
    "Marshall (1991): empirisk Bayes-utjämning av andelar i små områden.",
)


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]


def _default_note(settings: AnalysisSettings, field: str, shown: str) -> str:
    value = attrgetter(field)     # "uncertainty.draws": a stage's option
    if value(settings) == value(DEFAULTS):
        return " (standardvalet)"
    return f" (standardvalet är {shown})"


def _pct(value: float) -> str:
    return format_percent(value * 100, 0)


def _num(value: float, decimals: int = 1) -> str:
    return format_number(value, decimals, trim=True)


def _mpi_example_text() -> str:
    """The worked example of MPI+, every number computed by :func:`mpi_example`."""
    e = mpi_example()
    (u1, u2), (e1, e2) = e.standardised
    return (
        f"Exempel, räknat av samma kod som rangordningen: område A ligger {_num(e.uneven[0])} "
        f"standardavvikelser över genomsnittet i en domän och {_num(-e.uneven[1])} under i en "
        f"annan, område B {_num(e.even[0])} över i båda. Med aritmetiskt medelvärde får A "
        f"{_num(e.arithmetic[0])} och B {_num(e.arithmetic[1])}: de går inte att skilja åt. Med "
        f"MPI+ blir A:s domänvärden {_num(u1)} och {_num(u2)} och B:s {_num(e1)} och "
        f"{_num(e2)}; A får {_num(e.mean[0])} + {_num(e.spread[0])} · {_num(e.spread[0])} / "
        f"{_num(e.mean[0])} = {_num(e.mpi[0], 2)} och B {_num(e.mpi[1], 2)}, så A "
        "rangordnas före B.")


def _mpi_zscore_caveat(settings: AnalysisSettings) -> str:
    """MPI+ on z-scores is not monotone (tests/test_properties.py,
    test_mpi_on_z_scores_can_lower_a_score_when_need_rises; the sentence is checked against
    the code in tests/test_method_truth.py)."""
    chosen = settings.normalisation == "zscore" and settings.aggregation == "mpi"
    return ("Förbehåll: med z-poäng och MPI+ tillsammans kan ett områdes poäng i sällsynta "
            "fall sjunka fast dess behov har ökat. MPI+ räknar om varje domän mot alla "
            "områden, och med z-poäng flyttar ett områdes högre värde också de andra "
            "områdenas värden, så att områdets omräknade domänvärde kan bli lägre. Det kan "
            "hända när få områden har värden på en indikator. Med aritmetiskt medelvärde "
            "sjunker poängen aldrig när behovet ökar."
            + (" Den här rangordningen använder z-poäng och MPI+: jämför gärna med "
               "aritmetiskt medelvärde." if chosen else ""))


def _outlier_text(settings: AnalysisSettings) -> str:
    """The outlier rule as the code applies it (:mod:`indicators.outliers`)."""
    rule = (f"skevhet över {format_number(SKEW_LIMIT, 1, trim=True)} i belopp och kurtosis "
            f"över {format_number(KURTOSIS_LIMIT, 1, trim=True)}, som i COINr")
    if settings.outliers == "none":
        return (f"Extremvärden behandlas inte{_default_note(settings, 'outliers', '')}. En "
                f"indikator med {rule}, där ett enda område kan styra hela indikatorn, "
                "redovisas under Indexets kvalitet och kan i stället winsoriseras (de mest "
                f"extrema värdena dras in, högst {MAX_WINSORISED}) eller logaritmeras. Det är "
                "inte standardvalet, eftersom ett område vars värde blir extremt då dras in "
                "mot de andra: dess poäng kan sjunka fast behovet har ökat.")
    return (f"Extremvärden{_default_note(settings, 'outliers', 'ingen behandling')}: en "
            f"indikator med {rule}, behandlas innan den normaliseras. De mest extrema värdena "
            f"dras in ett i taget mot nästa värde (winsorisering, högst {MAX_WINSORISED}) tills "
            "regeln inte längre gäller; räcker inte det logaritmeras indikatorn i stället. "
            "Annars kan ett enda område styra en hel indikator. Vilka indikatorer och områden "
            "som behandlats står under Indexets kvalitet; tabeller och kartor visar de "
            "ursprungliga värdena.")


_COUNT_WORDS = ("ingen", "en", "två", "tre", "fyra", "fem", "sex")


def _domains_text(domains: Sequence[str] | None) -> str:
    """"sex domäner: Psykisk ohälsa, …" or "en domän: Socioekonomiska riskfaktorer"."""
    shown = [DOMAINS[d] for d in DOMAINS if domains is None or d in domains]
    word = _COUNT_WORDS[len(shown)] if len(shown) < len(_COUNT_WORDS) else str(len(shown))
    return f"{word} {'domän' if len(shown) == 1 else 'domäner'}: {', '.join(shown)}"


RECOMMENDATION_HEADING = "Rekommenderat angreppssätt och budget"


def _sd_text(value: float) -> str:
    return (f"{_num(value, 2)} " + ("standardavvikelse" if value == 1
                                    else "standardavvikelser"))


def recommendation_section(settings: AnalysisSettings, *, n_areas: int, top_k: int,
                           all_areas: int | None = None,
                           reference: Reference = KOMMUN) -> Section:
    """The recommendation's rules and the budget (:mod:`indicators.recommendation`,
    :mod:`indicators.allocation`) with the numbers of ``settings.recommendation``;
    ``all_areas``: every area of the analysis, ranked or not (default ``n_areas``);
    ``reference``: what the areas are compared with (the kommun, the län, Sweden)."""
    r = settings.recommendation
    rule = r.allocation
    everyone = n_areas if all_areas is None else all_areas
    levels = "; ".join(f"{tier} ger {r.intensity(tier)} ({INTENSITY_MEANINGS[r.intensity(tier)]})"
                       for tier in TIERS)
    protective = " och ".join(DOMAINS[d].lower() for d in PROTECTIVE_DOMAINS)
    base_share = format_percent(rule.base_share * 100, 1)
    weighting = WEIGHTINGS[rule.weighting].replace("topp k", f"topp {top_k}")
    return Section(RECOMMENDATION_HEADING, (
        "Varje område får ett rekommenderat angreppssätt enligt proportionell universalism: "
        "universella insatser överallt, med en omfattning och intensitet som står i "
        f"proportion till behovet. Intensiteten följer prioritetsnivån: {levels}. "
        f"{NO_RANK}: ingen rekommendation, och det sägs. Ett område vars rangintervall "
        "(90 % av beräkningarna) når rangplatser där andra områden har sin medianrang och "
        "får en annan intensitet, sägs ligga på gränsen till den intensiteten.",
        f"Fokus: de högst {r.max_focus} domäner där området ligger klart över "
        f"{reference.over}, "
        f"det vill säga minst {_sd_text(r.focus_threshold)} (av domänens spridning mellan "
        f"de rangordnade områdena) över {reference.mean} och med ett positivt bidrag "
        "till områdets poäng, ordnade efter bidraget. Ett område utan någon sådan domän "
        "får inget särskilt fokus, i stället för den domän som av en slump råkar ligga "
        f"högst. Förutsättningar att bygga på: {protective} där området ligger minst "
        f"{_sd_text(r.protective_threshold)} bättre än {reference.mean}.",
        f"Budget: {format_kronor(rule.total_kr)}. Grunddelen, {base_share} av "
        f"budgeten avrundat nedåt till hela kronor ({format_kronor(rule.base_total)}), "
        f"delas lika av alla {everyone} områden: varje område får minst "
        f"{format_kronor(rule.minimum(everyone))}. Resten fördelas {weighting}. Områden "
        "utan rang får bara grunddelen. Beloppen avrundas till hela kronor med största "
        "restmetoden, så att de summerar exakt till budgeten.",
        "Behovet räknas från rangen, inte från poängens storlek: behovsvikten är (n − rang "
        f"+ 1) / n, med n = {n_areas} rangordnade områden (1 för rang 1 och 1/{n_areas} för "
        f"rang {n_areas}). Osäkerhetsberäkningen varierar normaliseringen (z-poäng, "
        "percentilrang, min–max), så poängens storlek betyder olika saker i olika "
        "beräkningar; rangen betyder samma sak i alla.",
        "Varje områdes belopp har ett intervall: budgeten fördelas med samma regel i var "
        "och en av osäkerhetsberäkningens dragningar, utifrån den dragningens rangordning, "
        "och intervallet är 5 och 95 % av områdets belopp över dragningarna (de exakta "
        "beloppen, avrundade utåt till hela kronor: ett belopp i hela kronor avrundas "
        "uppåt eller nedåt, så intervallet rymmer det och är högst en krona bredare). Andra "
        "fördelningsregler (lika per barn, efter behov, bara de högst prioriterade) visas "
        "bredvid den valda med samma budget och grunddel. Dragningarnas rangordningar "
        f"sparas bara upp till {format_integer(RANK_DRAWS_MAX_CELLS)} rangplatser "
        "(dragningar gånger områden); med fler anges intervallen som inte tillgängliga."))


def method_page(settings: AnalysisSettings, *, n_areas: int, top_k: int,
                n_indicators: int | None = None, youth: str | None = None,
                from_percent: Sequence[str] = (),
                domains: Sequence[str] | None = None,
                extra: Sequence[Section] = (),
                all_areas: int | None = None,
                reference: Reference = KOMMUN) -> tuple[Section, ...]:
    """The method page for ``settings`` applied to ``n_areas`` areas with top ``top_k``.
    ``youth``: the young population the small-area flag reads ("barn 0–17 år"; None:
    unknown); ``from_percent``: names of indicators whose counts were rebuilt from a
    published percentage; ``domains``: the domains the indicators are in (None: all six);
    ``extra``: sections before the sources (the external validation); ``all_areas``: every
    area, ranked or not, among which the budget's base is shared (default ``n_areas``);
    ``reference``: what the areas are compared with (:mod:`indicators.reference`)."""
    s, u, small = settings, settings.uncertainty, settings.small_numbers
    t = small.disclosure_threshold
    smooth_default = SMOOTHING[DEFAULTS.small_numbers.smoothing]
    default_coverage = DEFAULTS.small_numbers.min_coverage
    n_ind = n_indicators if n_indicators is not None else len(s.indicators)
    weighted = ", ".join(f"{label} {s.domain_weight(d):g}" for d, label in DOMAINS.items())
    sections = [
        Section("Vad kartan visar", (
            f"Kartan rangordnar {n_areas} områden efter hur stort behovet av förebyggande "
            "arbete för barn och unga är, enligt de indikatorer som valts. Rang 1 betyder "
            "störst behov. Rangordningen säger var behoven är störst i förhållande till "
            f"{reference.others}, inte hur stora behoven är i absoluta tal.",
            "Indexet ersätter inte lokal kunskap: det är ett underlag för att välja var man "
            "ska titta närmare.")),
        Section("Indikatorer och riktning", (
            f"{n_ind} indikatorer ingår, i {_domains_text(domains)}. "
            "Andelar räknas från antal och befolkning (täljare och nämnare), så att områden "
            "kan slås ihop korrekt."
            + (f" Undantag: {' och '.join(from_percent)} publicerar SCB bara som procent med "
               "heltal; antalet räknas tillbaka som procenten gånger befolkningen, och kan "
               "därför avvika med upp till en halv procentenhet av områdets befolkning."
               if from_percent else ""),
            "Varje indikator har en riktning: för de flesta betyder ett högre värde större "
            "behov; för skyddsfaktorer (t.ex. behörighet till gymnasiet) betyder ett högre "
            "värde mindre behov, och skalan vänds.")),
        Section("Normalisering", (
            f"Vald metod: {NORMALISATIONS[s.normalisation]}"
            f"{_default_note(s, 'normalisation', NORMALISATIONS[DEFAULTS.normalisation])}. "
            "Indikatorerna mäts i olika enheter och måste göras jämförbara. z-poäng visar hur "
            "många standardavvikelser ett område ligger från genomsnittet; percentilrang visar "
            "bara ordningen (som CDC:s SVI) och påverkas inte av extremvärden; min–max sprider "
            "värdena mellan 0 och 100.",
            _outlier_text(s))),
        Section("Vikter och sammanvägning", (
            f"Domänvikter: {weighted}. Inom en domän vägs indikatorerna alltid samman med ett "
            "vägt medelvärde (de mäter samma sak), och sedan vägs domänerna samman.",
            f"Sammanvägning mellan domäner: {AGGREGATIONS[s.aggregation]}"
            f"{_default_note(s, 'aggregation', AGGREGATIONS[DEFAULTS.aggregation])}. Med "
            "aritmetiskt medelvärde kan ett lågt behov i en domän väga upp ett högt i en "
            "annan. Med Mazziotta–Pareto (MPI+) görs varje domäns poäng om till medelvärde "
            f"{_num(MPI_MEAN)} och standardavvikelse {_num(MPI_SD)} över de rangordnade "
            "områdena, och områdets poäng blir medelvärdet av dess domänvärden plus ett "
            "tillägg som växer med hur olika de är (spridningen gånger spridningen delad med "
            "medelvärdet). Ett högt behov i en domän späds då inte ut av ett lågt i en annan: "
            "ett ojämnt område hamnar före ett jämnt med samma medelvärde.",
            _mpi_example_text(),
            _mpi_zscore_caveat(s),
            f"Saknade värden: {MISSING_POLICIES[s.missing]}"
            f"{_default_note(s, 'missing', MISSING_POLICIES[DEFAULTS.missing])}. Det gäller "
            "värden som verkligen saknas. Ett område som har värden för mindre än "
            f"{_pct(small.min_coverage)} av indikatorernas vikt"
            f"{_default_note(s, 'small_numbers.min_coverage', _pct(default_coverage))}"
            " har otillräckliga data och rangordnas inte; det namnges i resultatet, och dess "
            "värden räknas ändå med när indikatorerna normaliseras.",
            f"Flaggor: en indikator flaggas för ett område när området hör till de "
            f"{_pct(1 - s.flag_threshold)} med störst behov på den indikatorn (percentilrang "
            f"≥ {_pct(s.flag_threshold)}, som i CDC:s SVI).")),
        Section("Hur säker är rangordningen?", (
            f"Rangordningen har beräknats {u.draws} gånger med slumpmässiga variationer"
            f"{_default_note(s, 'uncertainty.draws', str(DEFAULTS.uncertainty.draws))}: "
            "vikterna dras kring de valda "
            f"(Dirichletfördelning, koncentration {u.concentration:g}; högre värde = mindre "
            "variation)"
            + (", normaliseringen varieras" if u.vary_normalisation else "")
            + (", sammanvägningen varieras" if u.vary_aggregation else "")
            + (", och varje andel dras från sin osäkerhet givet antalet (Jeffreys "
               "a posteriori-fördelning: beta för andelar, gamma för händelser per invånare), "
               f"så att {t} fall av 40 inte behandlas som exakt "
               f"{format_percent(t / 40 * 100, 1)} och 0 fall inte som exakt 0"
               if u.data_noise else "")
            + ".",
            f"För varje område anges medianrangen, ett intervall där rangen hamnar i 90 % av "
            f"beräkningarna (5–95 %), och sannolikheten att området hör till de {top_k} med "
            "störst behov. Ett smalt intervall betyder att placeringen håller oavsett rimliga "
            "metodval; ett brett att den beror på dem.",
            f"Beräkningen är slumpmässig men upprepningsbar: fröet {u.seed} sparas i "
            "inställningsfilen, och samma fil ger samma resultat.")),
        Section("Prioritetsnivåer", (
            f"Hög prioritet: området hör till de {top_k} med störst behov i minst "
            f"{_pct(s.tiers.high_p)} av beräkningarna. Förhöjd: i minst "
            f"{_pct(s.tiers.raised_p)} av beräkningarna, eller med en medianrang bland de "
            f"{top_k} första. Övriga: resten. Regeln använder alltså både poängen och dess "
            "osäkerhet: ett område prioriteras högt bara om placeringen håller.",)),
        recommendation_section(s, n_areas=n_areas, top_k=top_k, all_areas=all_areas,
                               reference=reference),
        Section("Små tal och sekretess", (
            (f"Röjandekontroll: ett antal personer under {t} i ett område, eller ett antal där "
             f"färre än {t} står utanför gruppen, visas inte någonstans: inte i appen, "
             "verktygstips, tabeller eller exporter, och inte heller de andelar som bygger på "
             "det. I beräkningarna ersätts ett dolt antal med mitten av det intervall det "
             f"ligger i ({band_text(1, t - 1)} ger {format_number((t) / 2, 1, trim=True)}) och "
             "varieras över intervallet i osäkerhetsberäkningen. Därför beror inget resultat "
             "på det dolda värdet, varken index, rang, summor för kommunen, trender eller "
             "uppföljning: ändras det inom sitt intervall ändras ingen export. Värden som var "
             "dolda redan i källan (SCB:s '..') behandlas likadant, som ett värde mellan 1 och "
             f"{t - 1}, inte som saknade. Data som summeras till större områden (DeSO till "
             "RegSO, kommundelar eller sammanslagna områden) skyddas innan de summeras, så att "
             "två exporter på olika nivåer inte kan dras ifrån varandra. Skyddet gäller antal "
             "personer; katalogen anger vilka antal som är det (antal lägenheter är det inte)."
             if small.disclosure else
             "Röjandekontroll är AVSTÄNGD i dessa inställningar: små antal kan visas. Slå på "
             "den innan resultat lämnar förvaltningen."),
            f"Områden med färre än {small.min_population} {youth or 'barn och unga'} markeras: "
            "deras andelar är osäkra.",
            ("Små grannområden slås ihop tills varje område når minst "
             f"{small.min_population} {youth or 'barn och unga'}: det minsta området först, "
             "med den granne det delar längst gräns med; antal summeras och andelar räknas om."
             if small.merge_small else
             "Små områden slås inte ihop (kan väljas: då slås det minsta området ihop med "
             "den granne det delar längst gräns med, tills alla når gränsen)."),
            f"Utjämning: {SMOOTHING[small.smoothing]}"
            f"{_default_note(s, 'small_numbers.smoothing', smooth_default)}. Med empirisk "
            "Bayes dras små områdens andelar mot den samlade andelen för alla områden (dolda "
            "antal med sitt mittvärde), mer ju mindre området är; stora områden påverkas "
            "knappt.")),
        Section("Var behoven samlas", (
            "Lokal Moran's I och Getis-Ord Gi* visar om områden med högt (eller lågt) index "
            "ligger intill varandra mer än slumpen skulle ge. Grannar är områden som delar "
            f"gräns eller hörn. Signifikans prövas tvåsidigt med {PERMUTATIONS} slumpmässiga "
            "omflyttningar (permutationer) och korrigeras för att många områden testas "
            "samtidigt (FDR enligt Benjamini och Hochberg): ett område är signifikant när "
            f"dess justerade p-värde är högst {_num(ALPHA, 2)}. Utan korrektion skulle "
            f"ungefär {_pct(ALPHA)} av områdena se signifikanta ut av ren slump. Med "
            f"{PERMUTATIONS} permutationer är det minsta möjliga p-värdet "
            f"{_num(smallest_p(PERMUTATIONS), 3)}, och med fler än "
            f"{most_areas_with_permutations(PERMUTATIONS, ALPHA)} områden räcker det inte att "
            "ett område når det: korrektionen gör inget område signifikant förrän flera gör "
            "det, hur tydligt de än avviker. Där används "
            "i stället normalapproximationen: för Gi* Getis och Ords z-värde, för lokal "
            "Moran's I dess väntevärde och varians när grannarnas värden slumpas om. "
            "Klusteranalysens anteckningar säger vilka p-värden som använts. Testets styrka "
            f"prövas också: i simulerat slumpbrus på samma områden läggs en klunga om "
            f"{POWER_CLUSTER} sammanhängande områden, {_num(POWER_LIFT)} standardavvikelser "
            "över bruset, och samma test med samma slags p-värden körs. Hittas klungan i "
            f"mindre än {_pct(MIN_POWER)} av simuleringarna märks områden som inte är "
            "signifikanta 'Går inte att avgöra …' i stället för 'Ej signifikant', och "
            "styrkan anges. Områden utan grannar eller utan värde ingår inte och anges.",)),
        *extra,
        Section("Källor till metoden", SOURCES),
    ]
    return tuple(sections)


def method_text(settings: AnalysisSettings, *, n_areas: int, top_k: int) -> str:
    """The method page as plain text: headings, then their paragraphs."""
    out = []
    for section in method_page(settings, n_areas=n_areas, top_k=top_k):
        out.append(section.heading)
        out.extend(section.paragraphs)
    return "\n\n".join(out)
