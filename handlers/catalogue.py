"""The message catalogue: every text the bot shows, in Danish (default) and English.

`t(lang, key, **params)` formats an entry. Parameters are rendered for the language (with
Babel's locale data): a `date` as a long date, a list as Slack mentions joined with "og"/"and",
any parameter whose name ends in `minutes` as a duration ("1 t 30 min" / "1 h 30 min"), and a
number with a plural spec picks the language's plural form: `{count:# medlem|# medlemmer}`
(one|other; `#` is the number).

Text a person typed is data, never markup: every `str` parameter is escaped (`&`, `<`, `>`)
unless it is already `Mrkdwn` — a catalogue text, escaped text or a mention the bot resolved
itself. `t()` returns `Mrkdwn`; `plain_text()` turns it back for plain_text fields.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.lists import format_list as babel_format_list
from babel.numbers import format_currency, format_decimal

from models.network import FORGOTTEN_PREFIX

DEFAULT_LANGUAGE = "da"

# Babel locales for dates, numbers, currency, lists and plural rules.
LOCALES = {"da": "da_DK", "en": "en_GB"}

MESSAGES: dict[str, dict[str, str]] = {
    "da": {
        # Units and small words
        "unit.hours": "t",
        "unit.minutes": "min",
        "when.today": "i dag",
        "when.tomorrow": "i morgen",
        "when.in_days": "om {days:# dag|# dage}",
        "meeting.when": "{date} kl. {start}–{end}",
        "meeting.when_zone": "{date} kl. {start}–{end} ({zone})",
        # App Home
        "home.title": "Tovholder",
        "home.between": (
            "*Mellem møderne:* {followup} opfølgning med din leder · spredning: {spread} i perioden"
        ),
        "home.facilitator_hint": (
            "{behind} er bagud. Se hvem med `/network overblik` — og `/network hjælp` for resten."
        ),
        "home.network": "*{network}*",
        "home.next_meeting": "*Næste møde {number}: {theme}*\n{when}\n{place} · vært: {host}",
        "home.no_next_meeting": "Sæsonens møder er afholdt.",
        "home.host.intro": (
            "Du er kontaktperson hos værten for {count:# møde|# møder} i *{network}*. "
            "Her er, hvem der kommer; du får også optællingen som besked to arbejdsdage før mødet."
        ),
        "home.host.place": "{place} · vært: {host}",
        "home.host.none": "Dine møder er afholdt. Tak for værtskabet!",
        "home.help": "Registrér sparring med `/sparring logget 2t med @anna` · `/sparring hjælp`",
        # Preparation (/prep and its modal)
        "prep.help": (
            "*/prep* — forbered dig til næste møde: afstem forventninger med din leder, notér tre "
            "spørgsmål (hver til en primær og en sekundær person) og find eksempler.\n"
            "• `/prep` — åbn din forberedelse\n"
            "• `/prep status` — se, hvad der er klar, og hvad der mangler\n"
            "• `/prep hjælp` — denne hjælp\n"
            "Du kan rette alt, indtil mødet begynder."
        ),
        "prep.modal.title": "Forberedelse til møde {number}",
        "prep.modal.submit": "Gem",
        "prep.modal.close": "Luk",
        "prep.modal.meeting": "*Møde {number}: {theme}*\n{when} · {place}",
        "prep.modal.read_only": "Mødet er begyndt, så din forberedelse kan ikke længere ændres.",
        "prep.p1.header": "1. Forventninger med din leder",
        "prep.p1.aligned": "Jeg har afstemt forventninger med min leder",
        "prep.p1.agreed": "Hvad aftalte I?",
        "prep.p1.agreed_hint": "Fx hvad du skal have ud af mødet, og hvad du tager med hjem.",
        "prep.p2.header": "2. Tre spørgsmål til de andre deltagere",
        "prep.p2.question": "Spørgsmål {position}",
        "prep.p2.primary": "Primær person",
        "prep.p2.secondary": "Sekundær person",
        "prep.p2.pick": "Vælg et medlem",
        "prep.p2.nobody": "Der er ingen andre medlemmer i netværket endnu.",
        "prep.p3.header": "3. Eksempler på innovation",
        "prep.p3.hint": "Dine egne eller kollegers — også gerne forsøg, der ikke lykkedes.",
        "prep.p3.new": "Nyt eksempel",
        "prep.p3.existing": "Eksempel: {title}",
        "prep.p3.title": "Titel",
        "prep.p3.idea": "Idéen",
        "prep.p3.effect": "Effekten",
        "prep.p3.learning": "Læringen",
        "prep.p3.source": "Hvis eksempel?",
        "prep.p3.own": "Mit eget",
        "prep.p3.colleague": "En kollegas",
        "prep.p3.did_not_work": "Det lykkedes ikke (læringen er det vigtige)",
        "prep.p3.clear_to_remove": "Tøm alle felter for at fjerne et eksempel.",
        "prep.p3.more": "Du har {count:# eksempel|# eksempler}; de første {shown} kan rettes her.",
        "prep.saved.title": "Gemt",
        "prep.saved.body": "Din forberedelse til møde {number} er gemt.",
        "prep.status.header": "*Din forberedelse til møde {number}: {theme}* ({when})",
        "prep.status.p1": "{mark} 1. Forventninger med din leder{detail}",
        "prep.status.p2": "{mark} 2. Tre spørgsmål ({count} af 3)",
        "prep.status.p3": "{mark} 3. Eksempler ({count})",
        "prep.status.all_done": "Du er klar til mødet. 🎉",
        "prep.status.edit": "Ret din forberedelse med `/prep`.",
        "prep.no_meeting": "Der er ikke flere møder i denne sæson, så der er intet at forberede.",
        "prep.error.unknown_subcommand": "Jeg kender ikke `/prep {word}`.",
        "prep.error.meeting_started": (
            "Møde {number} er begyndt, så forberedelsen kan ikke længere ændres."
        ),
        "prep.error.too_long": "For lang tekst ({length} tegn; højst {limit}).",
        "prep.error.agreed_missing": "Skriv kort, hvad du og din leder aftalte.",
        "prep.error.primary_missing": "Vælg, hvem du helst vil spørge.",
        "prep.error.secondary_missing": "Vælg en sekundær person, hvis den primære ikke kan.",
        "prep.error.same_person": "Den sekundære skal være en anden end den primære.",
        "prep.error.self": "Du kan ikke stille spørgsmålet til dig selv.",
        "prep.error.not_member": "{users} er ikke medlem af netværket.",
        "prep.error.question_missing": "Skriv spørgsmålet, eller fjern personerne.",
        "prep.error.title_missing": "Giv eksemplet en titel.",
        "prep.error.idea_missing": "Beskriv kort idéen.",
        # Nudges
        "nudge.kickoff.intro": (
            "*Møde {number} nærmer sig: {theme}*\n{when}\n{place} · vært: {host}\n"
            "Sådan forbereder du dig:"
        ),
        "nudge.reminder.intro": "*{relative}: møde {number} — {theme}.* Det mangler du:",
        "nudge.last_call.intro": "*{relative}: møde {number} — {theme}.* Sidste chance for:",
        "nudge.text.kickoff": "Møde {number} nærmer sig — tid til at forberede dig.",
        "nudge.text.reminder": "Møde {number} er {relative}; din forberedelse mangler.",
        "nudge.text.last_call": "Møde {number} er {relative}; sidste chance for din forberedelse.",
        "nudge.item.p1": "{mark} Afstem forventninger med din leder",
        "nudge.item.p2": "{mark} Notér tre spørgsmål, hver til en primær og sekundær person",
        "nudge.item.p3": "{mark} Find eksempler: idé, effekt og læring",
        "nudge.button.p1": "Afstemning med leder",
        "nudge.button.p2": "Spørgsmål",
        "nudge.button.p3": "Eksempler",
        "nudge.button.all": "Åbn forberedelsen",
        "nudge.button.tomorrow": "Mind mig i morgen",
        "nudge.button.three_days": "Om 3 dage",
        "nudge.button.away": "Jeg er væk til…",
        "nudge.agenda.intro": (
            "*Spørgsmål til dig på møde {number} {relative}* ({theme}). "
            "Tænk over dem, så er du klar:"
        ),
        "nudge.agenda.primary": "• {asker} spørger dig: “{text}”",
        "nudge.agenda.secondary": "• {asker} spørger dig som sekundær: “{text}”",
        "nudge.agenda.handed_over": (
            "• {asker} spørger dig: “{text}” — {primary} er væk, så spørgsmålet går til dig"
        ),
        "nudge.agenda.more": "… og {count:# mere|# flere}.",
        "nudge.text.agenda": "Du har {count} spørgsmål til dig på møde {number} {relative}.",
        "nudge.snoozed": "Jeg minder dig igen {day} kl. {time}.",
        "nudge.snooze_too_late": "Det er efter mødets start, så jeg minder dig ikke igen.",
        "nudge.snooze_already": "Du har allerede bedt om en påmindelse.",
        "nudge.away.title": "Væk en periode",
        "nudge.away.label": "Jeg er væk til og med",
        "nudge.away.hint": "Indtil da sender jeg dig ingen påmindelser.",
        "nudge.away.save": "Gem",
        "nudge.away.saved": "Du får ingen påmindelser til og med {day}.",
        "nudge.away.error_past": "Vælg en dato fra i dag og frem.",
        "nudge.away.error_far": "Vælg en dato inden for et år.",
        # Follow-up with the manager (B2)
        "followup.help": (
            "*/followup* — registrér, at du har fulgt op på aftalerne med din leder.\n"
            "• `/followup Vi aftalte, at jeg afprøver klageportalen i januar` — gem med dags dato\n"
            "• `/followup` — åbn en formular (dato, hvad I aftalte, næste skridt)\n"
            "• `/followup status` — dine opfølgninger i denne periode\n"
            "• `/followup hjælp` — denne hjælp"
        ),
        "followup.saved": "✅ Opfølgning med din leder gemt ({day}): “{agreed}”.",
        "followup.status.header": "*Dine opfølgninger med din leder {period}*",
        "followup.status.none": "Ingen endnu i denne periode. Skriv fx `/followup Vi aftalte …`.",
        "followup.status.entry": "• {day}: “{agreed}”{next_step}",
        "followup.status.next_step": " — næste skridt: “{next_step}”",
        "followup.status.more": (
            "… og {count} tidligere. Alt, du har registreret, får du med `/network mydata`."
        ),
        "followup.edit": "Ret",
        "followup.modal.title": "Opfølgning med leder",
        "followup.modal.date": "Dato",
        "followup.modal.agreed": "Hvad fulgte I op på, og hvad aftalte I?",
        "followup.modal.next_step": "Næste skridt (valgfrit)",
        "followup.modal.saved": "Gemt. Tak!",
        "followup.error.empty": (
            "Skriv kort, hvad I aftalte, fx `/followup Vi aftalte, at jeg tester idéen i januar`."
        ),
        "followup.error.too_long": "Teksten er for lang (højst {limit} tegn).",
        "followup.error.future_date": "{day} ligger i fremtiden. Vælg en dato til og med i dag.",
        "followup.error.outside_season": (
            "{day} ligger uden for netværkets sæson ({start} – {end})."
        ),
        "followup.error.not_found": "Den opfølgning findes ikke (længere).",
        # Spreading (B3)
        "spread.help": (
            "*/spread* — registrér, hvad du har gjort med en løsning fra netværket.\n"
            "• `/spread` — åbn en formular: hvilken løsning, fra hvem, fra hvilket møde, "
            "status (planlagt / tilpasses / i brug / droppet) og effekt\n"
            "• `/spread status` — dine registreringer, med knapper til at opdatere status\n"
            "• `/spread hjælp` — denne hjælp"
        ),
        "spread.status.planned": "Planlagt",
        "spread.status.adapting": "Tilpasses",
        "spread.status.in_use": "I brug",
        "spread.status.dropped": "Droppet",
        "spread.modal.title": "Spredning",
        "spread.modal.solution": "Løsningen (med dine ord)",
        "spread.modal.example": "… eller et eksempel fra netværket",
        "spread.modal.source": "Fra hvem",
        "spread.modal.meeting": "Fra hvilket møde",
        "spread.modal.meeting_option": "Møde {number}: {theme}",
        "spread.modal.status": "Status",
        "spread.modal.effect": "Effekt (valgfrit)",
        "spread.modal.pick": "Vælg",
        "picker.more": "{shown} af {total} vist — skriv mere for at finde flere",
        "spread.modal.saved": "Gemt. Tak, fordi du spreder de gode løsninger!",
        "spread.list.header": "*Det, du har gjort med løsninger fra netværket*",
        "spread.list.none": "Intet endnu. Registrér med `/spread`.",
        "spread.list.entry": "• *{solution}*{source}{meeting} — {status}{effect}",
        "spread.list.source": " fra {user}",
        "spread.list.meeting": " (møde {number})",
        "spread.list.effect": "\n   Effekt: {effect}",
        "spread.list.more": (
            "… og {count} flere. Alt, du har registreret, får du med `/network mydata`."
        ),
        "spread.update": "Opdatér",
        "spread.error.empty": "Skriv, hvilken løsning det er, eller vælg et eksempel.",
        "spread.error.too_long": "Teksten er for lang (højst {limit} tegn).",
        "spread.error.unknown_status": "Vælg en status: planlagt, tilpasses, i brug eller droppet.",
        "spread.error.unknown_example": "Det eksempel findes ikke i dit netværk.",
        "spread.error.not_member": "{users} er ikke medlem af netværket.",
        "spread.error.self": "Vælg den, du har løsningen fra — ikke dig selv.",
        "spread.error.unknown_meeting": "Vælg et møde, der har været holdt.",
        "spread.error.not_found": "Den registrering findes ikke (længere).",
        "spread.error.unknown_subcommand": "Jeg kender ikke `/spread {word}`.",
        # Attendance and head count
        "attendance.ask": (
            "*Kommer du til møde {number} ({theme})?*\n{when} · {place}\n"
            "Værten sørger for forplejning og skal kende antallet. Du kan ændre dit svar, "
            "indtil mødet begynder."
        ),
        "attendance.text": "Kommer du til møde {number}?",
        "attendance.yes": "Ja, jeg kommer",
        "attendance.substitute": "Jeg sender en kollega",
        "attendance.no": "Jeg kan ikke",
        "attendance.saved.yes": "Tak — du er meldt til møde {number}.",
        "attendance.saved.substitute": "Tak — {name} kommer i dit sted til møde {number}.",
        "attendance.saved.no": "Tak for besked — du er meldt fra møde {number}.",
        "attendance.modal.title": "Send en kollega",
        "attendance.modal.name": "Kollegaens navn",
        "attendance.modal.email": "Kollegaens e-mail",
        "attendance.error.started": "Møde {number} er begyndt, så svaret kan ikke ændres.",
        "attendance.error.name_missing": "Skriv kollegaens navn.",
        "attendance.error.bad_email": (
            "“{value}” er ikke en e-mailadresse. Skriv fx `navn@kommune.dk`."
        ),
        "headcount.header": "*Deltagere til møde {number}: {theme}* ({when})",
        "headcount.total": (
            "*Forplejning til {total}* ({members:# medlem|# medlemmer} og "
            "{subs:# kollega|# kolleger})"
        ),
        "headcount.coming": "Kommer: {names}",
        "headcount.substitutes": "Kolleger i stedet: {names}",
        "headcount.not_coming": "Kommer ikke: {names}",
        "headcount.no_answer": "Har ikke svaret: {names}",
        "headcount.nobody": "ingen",
        "headcount.text": "Møde {number}: forplejning til {total}.",
        # Between meetings
        "between.start": (
            "*Tak for møde {number}.* Indtil {until} har du lovet at:\n"
            "• give ca. {target_minutes} sparring til andre (indtil nu: {given_minutes})\n"
            "• følge op på aftalerne med din leder\n"
            "• sprede det, du fik med fra mødet, hvor det er muligt"
        ),
        "between.start.text": "Tak for møde {number} — her er dine aftaler indtil næste gang.",
        "between.until_meeting": "møde {number} ({date})",
        "between.until_season_end": "sæsonen slutter ({date})",
        "between.sparring_hint": "Registrér sparring med fx `/sparring logget 1t med @anna`.",
        "between.halfway_sparring": (
            "*Halvvejs til {until}:* du har givet {given_minutes} af {target_minutes} sparring."
        ),
        "between.halfway_sparring.who": "Måske kan du hjælpe dem, der spurgte dig: {people}{more}",
        "between.halfway_sparring.more": " og {count:# mere|# flere}",
        "between.halfway_sparring.text": "Halvvejs: {given_minutes} af {target_minutes} sparring.",
        "between.halfway_followup": (
            "*Halvvejs til {until}:* har du fulgt op på aftalerne med din leder? "
            "Registrér det med `/followup`."
        ),
        "between.halfway_followup.text": "Har du fulgt op med din leder?",
        "between.closing": "*{relative}: {until}.* Det er stadig åbent:",
        "between.closing.sparring": "⬜ Sparring: {given_minutes} af {target_minutes}",
        "between.closing.followup": "⬜ Opfølgning med din leder",
        "between.closing.spread": "⬜ Spredning af en løsning fra netværket (hvis muligt)",
        "between.closing.text": "Perioden slutter {relative}; noget er stadig åbent.",
        "between.button.followup": "Registrér opfølgning",
        "between.button.spread": "Registrér spredning",
        # Notices
        "notice.sparring": (
            "{giver} har registreret {minutes} sparring med dig den {day}{note}. "
            "Passer det ikke, så sig til — tovholderen kigger på det."
        ),
        "notice.sparring.text": "{giver} har registreret sparring med dig.",
        "notice.sparring.dispute": "Det passer ikke",
        "notice.sparring.disputed": "Tak — registreringen er markeret til tovholderen.",
        "notice.dispute": (
            "⚠️ {receiver} siger, at det ikke passer: {giver} har registreret {minutes} sparring "
            "med {receiver} den {day}{note}."
        ),
        "notice.dispute.text": "{receiver} siger, at en registrering af sparring ikke passer.",
        "notice.dispute.keep": "Behold registreringen",
        "notice.dispute.remove": "Fjern registreringen",
        "notice.dispute.kept": "Registreringen er beholdt, og indsigelsen er lukket.",
        "notice.dispute.removed": "Registreringen er fjernet ({minutes} den {day}).",
        "notice.dispute.closed": "Den indsigelse er allerede afgjort.",
        "notice.spread": (
            "🌱 {member} har taget din løsning “{solution}” op — status: {status}.{effect}"
        ),
        "notice.spread.text": "Din løsning “{solution}” bliver spredt.",
        "notice.spread.off": "Slå disse beskeder fra",
        "notice.spread.turned_off": "Du får ikke flere beskeder, når dine løsninger bliver spredt.",
        "notice.meeting_changed": "*Møde {number} ({theme}) er ændret*",
        "notice.meeting_changed.time": "Tid: {old} → *{new}*",
        "notice.meeting_changed.place": "Sted: {old} → *{new}*",
        "notice.meeting_changed.reminders": "Dine påmindelser følger med til den nye dato.",
        "notice.meeting_changed.text": "Møde {number} er ændret: nu {when}, {place}.",
        # The facilitator's /network
        "network.digest.weekly": "*Ugens overblik — {network}*",
        "network.digest.weekly.text": "Ugens overblik — {network}",
        "network.digest.sister": "*Søsternetværket: {network}* (kun tal)",
        "network.digest.unreached": (
            "⚠️ *Kunne ikke nås i Slack:* {names}. Beskederne til dem gik ikke igennem (fx under"
            " en længere Slack-nedetid eller fordi kontoen er lukket) — tal med dem direkte."
        ),
        "network.mydata.sending": (
            "Jeg sender alt, hvad der er gemt om dig, som en fil i vores direkte besked."
        ),
        "network.mydata.nothing": "Der er ikke gemt noget om dig i Tovholder.",
        "network.mydata.title": "Dine data i Tovholder",
        "network.mydata.comment": "Her er alt, hvad Tovholder har gemt om dig.",
        "network.forget.confirm": (
            "Slet alle personoplysninger om *{name}*? Navn, noter, spørgsmål, eksempler og "
            "opfølgninger slettes, og andres tekster nævner ham eller hende ikke længere; "
            "intet i køen sendes til eller om personen. Kun anonyme tal bliver. "
            "Det kan ikke fortrydes."
        ),
        "network.forget.button": "Ja, slet",
        "network.forget.erased_person": "et slettet medlem",
        "network.added": "{user} er nu medlem ({organisation}) og får påmindelser fra nu af.",
        "network.removed": "{user} er taget ud: ingen påmindelser, historikken bevares.",
        "network.meeting_changed": (
            "Møde {number} er nu {date} kl. {start}, {place} (vært: {host}). "
            "Medlemmerne får besked om ny tid eller nyt sted, og påmindelserne følger med."
        ),
        "network.error.add_form": (
            'Mangler {missing}. Skriv fx `/network tilføj @anna org="Roskilde Kommune" '
            'leder="Birgitte Sørensen" sprog=da`.'
        ),
        "network.option.org": "org",
        "network.option.manager": "leder",
        "network.option.lang": "sprog",
        "network.option.mention": "@medlem",
        "network.error.already_member": "{users} er allerede medlem.",
        "network.error.member_elsewhere": (
            "{users} er medlem af et andet netværk i samme periode, så jeg tilføjer ikke "
            "personen her: en person er medlem af ét netværk ad gangen. Bed det andet netværks "
            "tovholder om at fjerne personen først, og prøv så igen."
        ),
        "network.error.not_a_member_role": "Personen er tovholder eller vært, ikke medlem.",
        "network.error.meeting_form": (
            "Skriv fx `/network møde 2 dato={example_ahead_iso} tid=10:00-13:00 "
            'sted="Roskilde Rådhus" vært="Roskilde Kommune"`.'
        ),
        "network.error.meeting_past": "Møde {number} er begyndt eller afholdt og kan ikke flyttes.",
        "network.error.meeting_times": "Mødet skal slutte efter, det begynder.",
        "network.error.meeting_season": "Datoen skal ligge i sæsonen ({start} – {end}).",
        "network.error.meeting_order": (
            "Møde {number} skal ligge efter det forrige og før det næste møde."
        ),
        "network.export.sending": (
            "Jeg laver eksporten (Excel-fil og CSV-filer) og sender den i vores direkte besked."
        ),
        "network.export.comment": "Eksport af {network}.",
        "network.forget.done": "Personoplysningerne om {name} er slettet.",
        "network.digest.readiness": "*Klar til mødet? — {network}*",
        "network.digest.readiness.text": "Klar til mødet? — {network}",
        "network.help": (
            "*/network* — for tovholdere.\n"
            "• `/network overblik` — næste møde: forberedelse, sparring, opfølgning, spredning, "
            "tilmelding; først totaler, så hvem der er bagud\n"
            "• `/network overblik møde 2` — et bestemt møde\n"
            "• `/network overblik @medlem` — alt om ét medlem i sæsonen\n"
            "• `/network overblik sæson` — hele sæsonen møde for møde\n"
            "• `/network medlemmer`, `/network møder`, `/network gebyrer`\n"
            "• `/network indsigelser` — sparring, et medlem siger ikke passer: behold eller fjern\n"
            "• `/network eksport` — alt som Excel- og CSV-filer\n"
            "• `/network tilføj @medlem …`, `/network fjern @medlem`, `/network møde 2 …` — ret "
            "netværket\n"
            "• `/network glem @medlem` — slet et medlems personoplysninger\n"
            "• `/network minedata` — (for alle) dine egne data som fil"
        ),
        "network.not_allowed": "Kun netværkets tovholdere kan bruge `/network`.",
        "network.error.unknown_subcommand": "Jeg kender ikke `/network {word}`.",
        "network.error.unknown_meeting": "Der er intet møde {value}. Møderne er 1–{count}.",
        "network.error.unknown_member": (
            "Nævn et medlem af netværket, fx `/network overblik @anna`."
        ),
        "network.summary.header": (
            "*Møde {number}: {theme}* ({date}) — {members:# medlem|# medlemmer}"
        ),
        "network.summary.totals": (
            "Forberedt: {prepared} af {members} ({prepared_rate} %) · leder {p1} % · "
            "spørgsmål {p2} % · eksempler {p3} %\n"
            "Sparring {period}: {target_met} af {members} har nået målet · i alt {total_minutes}\n"
            "Opfølgning med leder: {followups} af {members} · "
            "spredning: {spread:# registrering|# registreringer}\n"
            "Tilmelding: {yes} kommer, {substitute} sender en kollega, {no} kan ikke, "
            "{unanswered} har ikke svaret"
        ),
        "network.summary.behind": "*Bagud:*",
        "network.disputes.header": "*Bestridte registreringer af sparring:* {count}",
        "network.disputes.none": "Ingen bestridte registreringer.",
        "network.disputes.more": (
            "… og {count:# mere|# flere} — se dem alle med `/network indsigelser`."
        ),
        "network.disputes.more_later": (
            "… og {count:# mere|# flere}; de vises, når du har afgjort nogle."
        ),
        "network.summary.nobody_behind": "Ingen er bagud. 🎉",
        "network.summary.line": (
            "• {name} ({organisation}): {p1} leder {p2} spørgsmål ({questions}/3) {p3} eksempler "
            "· sparring {given_minutes} givet / {received_minutes} modtaget "
            "· opfølgning {followup} "
            "· spredning {spread} · {attendance}"
        ),
        "network.list.more_page": (
            "… og {count:# mere|# flere}. Se dem med `{command}`, "
            "eller hele listen i `/network export`."
        ),
        "network.list.more_export": (
            "… og {count:# mere|# flere} — hele listen er i `/network export`."
        ),
        "network.attendance.yes": "kommer",
        "network.attendance.substitute": "sender en kollega",
        "network.attendance.no": "kan ikke",
        "network.attendance.none": "intet svar",
        "network.member.header": "*{name}* ({organisation}, leder: {manager})",
        "network.season.line": (
            "• Møde {number} ({date}): forberedt {prepared}/{members} · sparring-mål {target_met}/"
            "{members} · opfølgning {followups}/{members} · {yes} kommer"
        ),
        "network.members.header": "*Medlemmer af {network}* ({count})",
        "network.members.line": "• {name} — {organisation} (leder: {manager}){language}",
        "network.meetings.header": "*Møder i {network}*",
        "network.meetings.line": (
            "• Møde {number}: {theme} — {date} {start}–{end}, {place} (vært: {host})"
        ),
        "network.fees.header": (
            "*Deltagergebyr {network}* ({fee} pr. medlem, {discount} i rabat for 2. og 3. "
            "fra samme arbejdsplads)"
        ),
        "network.fees.line": "• {organisation}: {count} × — {amounts} = *{total}*",
        "network.fees.warning": " ⚠️ mere end tre fra samme arbejdsplads",
        "network.fees.total": "*I alt: {total}* ({count:# medlem|# medlemmer})",
        # Periods
        "period.before_first": "før møde 1",
        "period.between": "mellem møde {a} og {b}",
        "period.after_last": "efter møde {a}",
        # Generic
        "error.not_a_member": (
            "Du er ikke medlem af et netværk i Tovholder, så jeg kan ikke registrere noget for "
            "dig. Kontakt en tovholder, hvis du skal være med: {people}."
        ),
        "error.not_a_member.no_contacts": (
            "Du er ikke medlem af et netværk i Tovholder, så jeg kan ikke registrere noget for "
            "dig. Kontakt netværkets tovholder, hvis du skal være med."
        ),
        "error.unexpected": (
            "Beklager, noget gik galt hos mig, og intet blev gemt. Prøv igen om lidt; "
            "hvis det bliver ved, så giv din tovholder fejlkoden `{ref}`."
        ),
        "error.unreadable_request": (
            "Beklager, jeg kunne ikke læse den forespørgsel, Slack sendte, og intet blev gemt. "
            "Åbn beskeden eller formularen igen og prøv en gang til."
        ),
        "error.your_text": "Det, du skrev: `{text}`",
        # Sparring
        "sparring.help": (
            "*/sparring* — registrér sparring, du har givet til andre i netværket "
            "(målet er ca. {target_minutes} mellem to møder).\n"
            "• `/sparring logget 2t med @anna den {example_iso} gennemgik hendes "
            "borgerundersøgelse`\n"
            "• `/sparring logget 1t30m med @anna @bo i går`\n"
            "• `/sparring logget 45 min` — uden modtager og dato (i dag)\n"
            "• `/sparring` eller `/sparring status` — din sparring i denne periode\n"
            "• `/sparring fortryd` — fjern din seneste registrering\n"
            "Varighed: `2t`, `1,5 t`, `90 min`, `1t30m`, `2 timer`. "
            "Dato: `{example_iso}`, `{example_day_month}`, `{example_dotted}`, `i dag`, `i går`."
        ),
        "sparring.logged": (
            "✅ Registreret: {minutes} sparring{receivers} den {day}{note}.\n"
            "Din sparring {period}: {progress}"
        ),
        "sparring.logged.receivers": " med {users}",
        "sparring.logged.note": " — “{note}”",
        "sparring.progress.reached": "{given_minutes} af {target_minutes} — målet er nået",
        "sparring.progress.missing": (
            "{given_minutes} af {target_minutes} — {missing_minutes} tilbage til målet."
        ),
        "sparring.status.header": "*Din sparring {period}* ({start} – {end})",
        "sparring.status.entry": "• {day}: {minutes}{receivers}{note}",
        "sparring.status.none": "Du har ikke registreret sparring i denne periode endnu.",
        "sparring.status.more": (
            "… og {count:# tidligere registrering|# tidligere registreringer}."
        ),
        "sparring.status.given": "Givet i alt: {progress}",
        "sparring.status.received": "Modtaget fra andre: {minutes} ({people})",
        "sparring.status.received_none": "Modtaget fra andre: ingen endnu.",
        "sparring.status.received_item": "{user} {minutes}",
        "sparring.status.hint": "Registrér mere med fx `/sparring logget 1t med @anna`.",
        "sparring.undo.done": (
            "↩️ Fjernet: {minutes} sparring{receivers} den {day}{note}.\n"
            "Din sparring {period}: {progress}"
        ),
        "sparring.undo.nothing": "Du har ingen registreret sparring at fjerne.",
        "sparring.error.unknown_subcommand": "Jeg kender ikke `/sparring {word}`.",
        "sparring.modal.title": "Registrér sparring",
        "sparring.modal.duration": "Hvor længe?",
        "sparring.modal.duration_hint": "Fx 2t, 1,5 t, 90 min eller 1t30m",
        "sparring.modal.date": "Hvornår?",
        "sparring.modal.receivers": "Med hvem?",
        "sparring.modal.note": "Note (valgfri)",
        "between.button.sparring": "Registrér sparring",
        "sparring.error.missing_duration": (
            "Skriv, hvor lang tid du gav sparring, fx `/sparring logget 2t med @anna`."
        ),
        "sparring.error.bad_duration": (
            "Jeg forstod ikke varigheden “{value}”. Skriv den fx som `2t`, `1,5 t`, `90 min` "
            "eller `1t30m`: `/sparring logget 1t30m med @anna`."
        ),
        "sparring.error.not_positive": (
            "Varigheden skal være mere end 0, fx `/sparring logget 30 min med @anna`."
        ),
        "sparring.error.too_long": (
            "{minutes} er mere end 12 timer i én registrering. Registrér hver dag for sig, "
            "fx `/sparring logget 3t med @anna den {example_iso}`."
        ),
        "sparring.error.bad_date": (
            "Jeg forstod ikke datoen “{value}”. Skriv den fx som `{example_iso}`, "
            "`{example_day_month}`, `{example_dotted}`, `i dag` eller `i går`."
        ),
        "sparring.error.future_date": (
            "{day} ligger i fremtiden. Registrér sparring, når den er givet, fx med `i dag` "
            "eller `i går`."
        ),
        "sparring.error.outside_season": (
            "{day} ligger uden for netværkets sæson ({start} – {end}). "
            "Brug en dato i sæsonen, fx `den {start_iso}`."
        ),
        "sparring.error.self_receiver": (
            "Du kan ikke registrere sparring med dig selv. Nævn den, du gav sparring til, "
            "fx `/sparring logget 2t med @anna`."
        ),
        "sparring.error.not_members": (
            "{users} er ikke medlem af dit netværk. Sparring registreres med medlemmer, "
            "fx `/sparring logget 2t med @anna`."
        ),
        "sparring.error.unresolved_name": (
            "Jeg kan ikke se, hvem “{value}” er. Vælg personen i listen, der kommer frem, når du "
            "skriver @, så Slack gør navnet til et link."
        ),
        "sparring.error.note_too_long": (
            "Noten er for lang ({length} tegn; højst {limit}). Skriv en kortere note."
        ),
        "sparring.error.empty_with": (
            "Efter “{value}” skal der stå, hvem du gav sparring til, fx `med @anna`."
        ),
    },
    "en": {
        "unit.hours": "h",
        "unit.minutes": "min",
        "when.today": "today",
        "when.tomorrow": "tomorrow",
        "when.in_days": "in {days:# day|# days}",
        "meeting.when": "{date}, {start}–{end}",
        "meeting.when_zone": "{date}, {start}–{end} ({zone})",
        "home.title": "Tovholder",
        "home.between": (
            "*Between meetings:* {followup} follow-up with your manager · spreading: {spread} "
            "this period"
        ),
        "home.facilitator_hint": (
            "{behind} are behind. See who with `/network summary` — and `/network help`."
        ),
        "home.network": "*{network}*",
        "home.next_meeting": "*Next meeting {number}: {theme}*\n{when}\n{place} · host: {host}",
        "home.no_next_meeting": "The season's meetings have all been held.",
        "home.host.intro": (
            "You are the host's contact for {count} meeting(s) of *{network}*. Here is who is "
            "coming; you also get the count as a message two working days before the meeting."
        ),
        "home.host.place": "{place} · host: {host}",
        "home.host.none": "Your meetings have been held. Thank you for hosting!",
        "home.help": "Log sparring with `/sparring logged 2h with @anna` · `/sparring help`",
        "prep.help": (
            "*/prep* — prepare for the next meeting: align expectations with your manager, note "
            "three questions (each for a primary and a secondary person) and find examples.\n"
            "• `/prep` — open your preparation\n"
            "• `/prep status` — see what is ready and what is missing\n"
            "• `/prep help` — this help\n"
            "You can change everything until the meeting starts."
        ),
        "prep.modal.title": "Prep for meeting {number}",
        "prep.modal.submit": "Save",
        "prep.modal.close": "Close",
        "prep.modal.meeting": "*Meeting {number}: {theme}*\n{when} · {place}",
        "prep.modal.read_only": "The meeting has started; your preparation can no longer change.",
        "prep.p1.header": "1. Expectations with your manager",
        "prep.p1.aligned": "I have aligned expectations with my manager",
        "prep.p1.agreed": "What did you agree?",
        "prep.p1.agreed_hint": "E.g. what you should get out of the meeting and bring home.",
        "prep.p2.header": "2. Three questions for the other members",
        "prep.p2.question": "Question {position}",
        "prep.p2.primary": "Primary person",
        "prep.p2.secondary": "Secondary person",
        "prep.p2.pick": "Pick a member",
        "prep.p2.nobody": "There are no other members in the network yet.",
        "prep.p3.header": "3. Innovation examples",
        "prep.p3.hint": "Your own or colleagues' — attempts that did not work are welcome too.",
        "prep.p3.new": "New example",
        "prep.p3.existing": "Example: {title}",
        "prep.p3.title": "Title",
        "prep.p3.idea": "The idea",
        "prep.p3.effect": "The effect",
        "prep.p3.learning": "The learning",
        "prep.p3.source": "Whose example?",
        "prep.p3.own": "My own",
        "prep.p3.colleague": "A colleague's",
        "prep.p3.did_not_work": "It did not work (the learning is what counts)",
        "prep.p3.clear_to_remove": "Clear all fields to remove an example.",
        "prep.p3.more": (
            "You have {count:# example|# examples}; the first {shown} can be edited here."
        ),
        "prep.saved.title": "Saved",
        "prep.saved.body": "Your preparation for meeting {number} is saved.",
        "prep.status.header": "*Your preparation for meeting {number}: {theme}* ({when})",
        "prep.status.p1": "{mark} 1. Expectations with your manager{detail}",
        "prep.status.p2": "{mark} 2. Three questions ({count} of 3)",
        "prep.status.p3": "{mark} 3. Examples ({count})",
        "prep.status.all_done": "You are ready for the meeting. 🎉",
        "prep.status.edit": "Edit your preparation with `/prep`.",
        "prep.no_meeting": "There are no more meetings this season: nothing to prepare.",
        "prep.error.unknown_subcommand": "I don't know `/prep {word}`.",
        "prep.error.meeting_started": (
            "Meeting {number} has started, so the preparation can no longer change."
        ),
        "prep.error.too_long": "Too long ({length} characters; at most {limit}).",
        "prep.error.agreed_missing": "Say briefly what you and your manager agreed.",
        "prep.error.primary_missing": "Pick the person you would most like to ask.",
        "prep.error.secondary_missing": "Pick a secondary person in case the primary cannot.",
        "prep.error.same_person": "The secondary must be someone other than the primary.",
        "prep.error.self": "You cannot ask yourself.",
        "prep.error.not_member": "{users} is not a member of the network.",
        "prep.error.question_missing": "Write the question, or remove the people.",
        "prep.error.title_missing": "Give the example a title.",
        "prep.error.idea_missing": "Describe the idea briefly.",
        "nudge.kickoff.intro": (
            "*Meeting {number} is coming up: {theme}*\n{when}\n{place} · host: {host}\n"
            "How to prepare:"
        ),
        "nudge.reminder.intro": "*{relative}: meeting {number} — {theme}.* Still missing:",
        "nudge.last_call.intro": "*{relative}: meeting {number} — {theme}.* Last call for:",
        "nudge.text.kickoff": "Meeting {number} is coming up — time to prepare.",
        "nudge.text.reminder": "Meeting {number} is {relative}; your preparation is missing.",
        "nudge.text.last_call": "Meeting {number} is {relative}; last call for your preparation.",
        "nudge.item.p1": "{mark} Align expectations with your manager",
        "nudge.item.p2": "{mark} Note three questions, each for a primary and a secondary person",
        "nudge.item.p3": "{mark} Find examples: idea, effect and learning",
        "nudge.button.p1": "Manager alignment",
        "nudge.button.p2": "Questions",
        "nudge.button.p3": "Examples",
        "nudge.button.all": "Open preparation",
        "nudge.button.tomorrow": "Remind me tomorrow",
        "nudge.button.three_days": "In 3 days",
        "nudge.button.away": "I'm away until…",
        "nudge.agenda.intro": (
            "*Questions for you at meeting {number} {relative}* ({theme}). "
            "Think them over and you are ready:"
        ),
        "nudge.agenda.primary": "• {asker} asks you: “{text}”",
        "nudge.agenda.secondary": "• {asker} asks you as secondary: “{text}”",
        "nudge.agenda.handed_over": (
            "• {asker} asks you: “{text}” — {primary} is away, so the question comes to you"
        ),
        "nudge.agenda.more": "… and {count} more.",
        "nudge.text.agenda": (
            "You have {count:# question|# questions} for you at meeting {number} {relative}."
        ),
        "nudge.snoozed": "I will remind you again {day} at {time}.",
        "nudge.snooze_too_late": "That is after the meeting starts, so I will not remind you.",
        "nudge.snooze_already": "You have already asked for a reminder.",
        "nudge.away.title": "Away for a while",
        "nudge.away.label": "I am away up to and including",
        "nudge.away.hint": "Until then I will send you no reminders.",
        "nudge.away.save": "Save",
        "nudge.away.saved": "You get no reminders up to and including {day}.",
        "nudge.away.error_past": "Pick a date from today on.",
        "nudge.away.error_far": "Pick a date within a year.",
        "followup.help": (
            "*/followup* — log that you followed up on the agreements with your manager.\n"
            "• `/followup We agreed I try the complaint portal in January` — saved as today\n"
            "• `/followup` — open a form (date, what you agreed, next step)\n"
            "• `/followup status` — your follow-ups in this period\n"
            "• `/followup help` — this help"
        ),
        "followup.saved": "✅ Follow-up with your manager saved ({day}): “{agreed}”.",
        "followup.status.header": "*Your follow-ups with your manager {period}*",
        "followup.status.none": "None yet in this period. Type e.g. `/followup We agreed …`.",
        "followup.status.entry": "• {day}: “{agreed}”{next_step}",
        "followup.status.next_step": " — next step: “{next_step}”",
        "followup.status.more": "… and {count} earlier. Everything you logged: `/network mydata`.",
        "followup.edit": "Edit",
        "followup.modal.title": "Manager follow-up",
        "followup.modal.date": "Date",
        "followup.modal.agreed": "What did you follow up on, and what did you agree?",
        "followup.modal.next_step": "Next step (optional)",
        "followup.modal.saved": "Saved. Thank you!",
        "followup.error.empty": (
            "Say briefly what you agreed, e.g. `/followup We agreed I test the idea in January`."
        ),
        "followup.error.too_long": "The text is too long (at most {limit} characters).",
        "followup.error.future_date": "{day} is in the future. Pick a date up to today.",
        "followup.error.outside_season": "{day} is outside the network's season ({start} – {end}).",
        "followup.error.not_found": "That follow-up does not exist (any more).",
        "spread.help": (
            "*/spread* — log what you did with a solution from the network.\n"
            "• `/spread` — open a form: which solution, from whom, from which meeting, "
            "status (planned / adapting / in use / dropped) and effect\n"
            "• `/spread status` — what you logged, with buttons to update the status\n"
            "• `/spread help` — this help"
        ),
        "spread.status.planned": "Planned",
        "spread.status.adapting": "Adapting",
        "spread.status.in_use": "In use",
        "spread.status.dropped": "Dropped",
        "spread.modal.title": "Spreading",
        "spread.modal.solution": "The solution (in your words)",
        "spread.modal.example": "… or an example from the network",
        "spread.modal.source": "From whom",
        "spread.modal.meeting": "From which meeting",
        "spread.modal.meeting_option": "Meeting {number}: {theme}",
        "spread.modal.status": "Status",
        "spread.modal.effect": "Effect (optional)",
        "spread.modal.pick": "Pick",
        "picker.more": "{shown} of {total} shown — type more to find others",
        "spread.modal.saved": "Saved. Thank you for spreading good solutions!",
        "spread.list.header": "*What you did with solutions from the network*",
        "spread.list.none": "Nothing yet. Log it with `/spread`.",
        "spread.list.entry": "• *{solution}*{source}{meeting} — {status}{effect}",
        "spread.list.source": " from {user}",
        "spread.list.meeting": " (meeting {number})",
        "spread.list.effect": "\n   Effect: {effect}",
        "spread.list.more": "… and {count} more. Everything you logged: `/network mydata`.",
        "spread.update": "Update",
        "spread.error.empty": "Say which solution it is, or pick an example.",
        "spread.error.too_long": "The text is too long (at most {limit} characters).",
        "spread.error.unknown_status": "Pick a status: planned, adapting, in use or dropped.",
        "spread.error.unknown_example": "That example is not in your network.",
        "spread.error.not_member": "{users} is not a member of the network.",
        "spread.error.self": "Pick the person you took the solution from — not yourself.",
        "spread.error.unknown_meeting": "Pick a meeting that has been held.",
        "spread.error.not_found": "That entry does not exist (any more).",
        "spread.error.unknown_subcommand": "I don't know `/spread {word}`.",
        "attendance.ask": (
            "*Are you coming to meeting {number} ({theme})?*\n{when} · {place}\n"
            "The host caters and needs the head count. You can change your answer until the "
            "meeting starts."
        ),
        "attendance.text": "Are you coming to meeting {number}?",
        "attendance.yes": "Yes, I'm coming",
        "attendance.substitute": "Sending a colleague",
        "attendance.no": "I can't come",
        "attendance.saved.yes": "Thanks — you are signed up for meeting {number}.",
        "attendance.saved.substitute": "Thanks — {name} comes in your place to meeting {number}.",
        "attendance.saved.no": "Thanks for telling us — you are not coming to meeting {number}.",
        "attendance.modal.title": "Send a colleague",
        "attendance.modal.name": "Your colleague's name",
        "attendance.modal.email": "Your colleague's e-mail",
        "attendance.error.started": "Meeting {number} has started, so the answer cannot change.",
        "attendance.error.name_missing": "Write your colleague's name.",
        "attendance.error.bad_email": (
            "“{value}” is not an e-mail address. Write e.g. `name@municipality.dk`."
        ),
        "headcount.header": "*Attendance for meeting {number}: {theme}* ({when})",
        "headcount.total": (
            "*Catering for {total}* ({members:# member|# members} and "
            "{subs:# colleague|# colleagues})"
        ),
        "headcount.coming": "Coming: {names}",
        "headcount.substitutes": "Colleagues instead: {names}",
        "headcount.not_coming": "Not coming: {names}",
        "headcount.no_answer": "No answer yet: {names}",
        "headcount.nobody": "nobody",
        "headcount.text": "Meeting {number}: catering for {total}.",
        "between.start": (
            "*Thank you for meeting {number}.* Until {until} you have promised to:\n"
            "• give about {target_minutes} of sparring to other members (so far: {given_minutes})\n"
            "• follow up on the agreements with your manager\n"
            "• spread what you took from the meeting, where possible"
        ),
        "between.start.text": "Thank you for meeting {number} — here is what you promised.",
        "between.until_meeting": "meeting {number} ({date})",
        "between.until_season_end": "the season ends ({date})",
        "between.sparring_hint": "Log sparring with e.g. `/sparring logged 1h with @anna`.",
        "between.halfway_sparring": (
            "*Halfway to {until}:* you have given {given_minutes} of {target_minutes} sparring."
        ),
        "between.halfway_sparring.who": "Perhaps you can help those who asked you: {people}{more}",
        "between.halfway_sparring.more": " and {count} more",
        "between.halfway_sparring.text": "Halfway: {given_minutes} of {target_minutes} sparring.",
        "between.halfway_followup": (
            "*Halfway to {until}:* have you followed up on the agreements with your manager? "
            "Log it with `/followup`."
        ),
        "between.halfway_followup.text": "Have you followed up with your manager?",
        "between.closing": "*{relative}: {until}.* Still open:",
        "between.closing.sparring": "⬜ Sparring: {given_minutes} of {target_minutes}",
        "between.closing.followup": "⬜ Follow-up with your manager",
        "between.closing.spread": "⬜ Spreading a solution from the network (where possible)",
        "between.closing.text": "The period ends {relative}; something is still open.",
        "between.button.followup": "Log follow-up",
        "between.button.spread": "Log spreading",
        "notice.sparring": (
            "{giver} logged {minutes} of sparring with you on {day}{note}. "
            "If that is not right, say so — the facilitator will look at it."
        ),
        "notice.sparring.text": "{giver} logged sparring with you.",
        "notice.sparring.dispute": "That's not right",
        "notice.sparring.disputed": "Thanks — the entry is flagged for the facilitator.",
        "notice.dispute": (
            "⚠️ {receiver} says this is not right: {giver} logged {minutes} of sparring with "
            "{receiver} on {day}{note}."
        ),
        "notice.dispute.text": "{receiver} says a sparring entry is not right.",
        "notice.dispute.keep": "Keep the entry",
        "notice.dispute.remove": "Remove the entry",
        "notice.dispute.kept": "The entry is kept, and the dispute is closed.",
        "notice.dispute.removed": "The entry is removed ({minutes} on {day}).",
        "notice.dispute.closed": "That dispute has already been settled.",
        "notice.spread": (
            "🌱 {member} has taken up your solution “{solution}” — status: {status}.{effect}"
        ),
        "notice.spread.text": "Your solution “{solution}” is spreading.",
        "notice.spread.off": "Turn these messages off",
        "notice.spread.turned_off": "You will get no more messages when your solutions spread.",
        "notice.meeting_changed": "*Meeting {number} ({theme}) has changed*",
        "notice.meeting_changed.time": "Time: {old} → *{new}*",
        "notice.meeting_changed.place": "Place: {old} → *{new}*",
        "notice.meeting_changed.reminders": "Your reminders move with it to the new date.",
        "notice.meeting_changed.text": "Meeting {number} has changed: now {when}, {place}.",
        "network.digest.weekly": "*This week's overview — {network}*",
        "network.digest.weekly.text": "This week's overview — {network}",
        "network.digest.sister": "*The sister network: {network}* (numbers only)",
        "network.digest.unreached": (
            "⚠️ *Could not be reached in Slack:* {names}. Messages to them did not get through"
            " (during a long Slack outage, say, or because the account is closed) — talk to them"
            " directly."
        ),
        "network.mydata.sending": (
            "I am sending everything stored about you as a file in our direct message."
        ),
        "network.mydata.nothing": "Nothing is stored about you in Tovholder.",
        "network.mydata.title": "Your data in Tovholder",
        "network.mydata.comment": "Here is everything Tovholder has stored about you.",
        "network.forget.confirm": (
            "Erase all personal data about *{name}*? Name, notes, questions, examples and "
            "follow-ups are erased, and other people's text no longer names them; nothing "
            "queued is sent to or about them. Only anonymous numbers remain. "
            "This cannot be undone."
        ),
        "network.forget.button": "Yes, erase",
        "network.forget.erased_person": "an erased member",
        "network.added": "{user} is now a member ({organisation}) and gets reminders from now on.",
        "network.removed": "{user} is out of the network: no reminders, history kept.",
        "network.meeting_changed": (
            "Meeting {number} is now {date} at {start}, {place} (host: {host}). "
            "Members are told about a new time or place, and the reminders follow."
        ),
        "network.error.add_form": (
            'Missing {missing}. Write e.g. `/network add @anna org="Roskilde Kommune" '
            'manager="Birgitte Sørensen" lang=da`.'
        ),
        "network.option.org": "org",
        "network.option.manager": "manager",
        "network.option.lang": "lang",
        "network.option.mention": "@member",
        "network.error.already_member": "{users} is already a member.",
        "network.error.member_elsewhere": (
            "{users} is a member of another network in the same period, so I am not adding "
            "them here: a person is a member of one network at a time. Ask that network's "
            "facilitator to remove them first, then try again."
        ),
        "network.error.not_a_member_role": "That person is a facilitator or host, not a member.",
        "network.error.meeting_form": (
            "Write e.g. `/network meeting 2 date={example_ahead_iso} time=10:00-13:00 "
            'place="Roskilde Town Hall" host="Roskilde Kommune"`.'
        ),
        "network.error.meeting_past": "Meeting {number} has begun or is over and cannot move.",
        "network.error.meeting_times": "The meeting must end after it begins.",
        "network.error.meeting_season": "The date must be in the season ({start} – {end}).",
        "network.error.meeting_order": (
            "Meeting {number} must come after the one before and before the next."
        ),
        "network.export.sending": (
            "I am making the export (an Excel file and CSV files) and sending it in our DM."
        ),
        "network.export.comment": "Export of {network}.",
        "network.forget.done": "The personal data about {name} is erased.",
        "network.digest.readiness": "*Ready for the meeting? — {network}*",
        "network.digest.readiness.text": "Ready for the meeting? — {network}",
        "network.help": (
            "*/network* — for facilitators.\n"
            "• `/network summary` — the next meeting: preparation, sparring, follow-up, "
            "spreading, attendance; totals first, then who is behind\n"
            "• `/network summary meeting 2` — one meeting\n"
            "• `/network summary @member` — everything about one member this season\n"
            "• `/network summary season` — the whole season, meeting by meeting\n"
            "• `/network members`, `/network meetings`, `/network fees`\n"
            "• `/network disputes` — entries a member says are not right: keep or remove\n"
            "• `/network export` — everything as Excel and CSV files\n"
            "• `/network add @member …`, `/network remove @member`, `/network meeting 2 …` — "
            "change the network\n"
            "• `/network forget @member` — erase a member's personal data\n"
            "• `/network mydata` — (for everyone) your own data as a file"
        ),
        "network.not_allowed": "Only the network's facilitators can use `/network`.",
        "network.error.unknown_subcommand": "I don't know `/network {word}`.",
        "network.error.unknown_meeting": "There is no meeting {value}. The meetings are 1–{count}.",
        "network.error.unknown_member": (
            "Mention a member of the network, e.g. `/network summary @anna`."
        ),
        "network.summary.header": (
            "*Meeting {number}: {theme}* ({date}) — {members:# member|# members}"
        ),
        "network.summary.totals": (
            "Prepared: {prepared} of {members} ({prepared_rate} %) · manager {p1} % · "
            "questions {p2} % · examples {p3} %\n"
            "Sparring {period}: {target_met} of {members} reached the target "
            "· {total_minutes} in all\n"
            "Manager follow-up: {followups} of {members} · spreading: {spread:# entry|# entries}\n"
            "Attendance: {yes} coming, {substitute} sending a colleague, {no} can't come, "
            "{unanswered} no answer"
        ),
        "network.summary.behind": "*Behind:*",
        "network.disputes.header": "*Disputed sparring entries:* {count}",
        "network.disputes.none": "No disputed entries.",
        "network.disputes.more": "… and {count} more — see them all with `/network disputes`.",
        "network.disputes.more_later": "… and {count} more; they show once you settle some.",
        "network.summary.nobody_behind": "Nobody is behind. 🎉",
        "network.summary.line": (
            "• {name} ({organisation}): {p1} manager {p2} questions ({questions}/3) {p3} examples "
            "· sparring {given_minutes} given / {received_minutes} received · follow-up {followup} "
            "· spreading {spread} · {attendance}"
        ),
        "network.list.more_page": (
            "… and {count} more. See them with `{command}`, or the whole list in `/network export`."
        ),
        "network.list.more_export": "… and {count} more — the whole list is in `/network export`.",
        "network.attendance.yes": "coming",
        "network.attendance.substitute": "sending a colleague",
        "network.attendance.no": "can't come",
        "network.attendance.none": "no answer",
        "network.member.header": "*{name}* ({organisation}, manager: {manager})",
        "network.season.line": (
            "• Meeting {number} ({date}): prepared {prepared}/{members} · sparring target "
            "{target_met}/{members} · follow-up {followups}/{members} · {yes} coming"
        ),
        "network.members.header": "*Members of {network}* ({count})",
        "network.members.line": "• {name} — {organisation} (manager: {manager}){language}",
        "network.meetings.header": "*Meetings of {network}*",
        "network.meetings.line": (
            "• Meeting {number}: {theme} — {date} {start}–{end}, {place} (host: {host})"
        ),
        "network.fees.header": (
            "*Fees {network}* ({fee} per member, {discount} off for the 2nd and 3rd "
            "from one workplace)"
        ),
        "network.fees.line": "• {organisation}: {count} × — {amounts} = *{total}*",
        "network.fees.warning": " ⚠️ more than three from one workplace",
        "network.fees.total": "*Total: {total}* ({count:# member|# members})",
        "period.before_first": "before meeting 1",
        "period.between": "between meetings {a} and {b}",
        "period.after_last": "after meeting {a}",
        "error.not_a_member": (
            "You are not a member of a Tovholder network, so I cannot record anything for you. "
            "If you should be, please contact a facilitator: {people}."
        ),
        "error.not_a_member.no_contacts": (
            "You are not a member of a Tovholder network, so I cannot record anything for you. "
            "If you should be, please contact the network's facilitator."
        ),
        "error.unexpected": (
            "Sorry, something went wrong on my side and nothing was saved. Please try again in "
            "a moment; if it keeps happening, give your facilitator the code `{ref}`."
        ),
        "error.unreadable_request": (
            "Sorry, I could not read the request Slack sent, and nothing was saved. Open the "
            "message or form again and try once more."
        ),
        "error.your_text": "What you wrote: `{text}`",
        "sparring.help": (
            "*/sparring* — log sparring you gave to other members of the network "
            "(the target is about {target_minutes} between two meetings).\n"
            "• `/sparring logged 2h with @anna on {example_iso} went through her citizen "
            "survey`\n"
            "• `/sparring logged 1h30m with @anna @bo yesterday`\n"
            "• `/sparring logged 45 minutes` — no receiver, dated today\n"
            "• `/sparring` or `/sparring status` — your sparring in this period\n"
            "• `/sparring undo` — remove your latest entry\n"
            "Durations: `2h`, `1.5h`, `90 min`, `1h30m`, `2 hours`. "
            "Dates: `{example_iso}`, `{example_day_month}`, `{example_dotted}`, `today`, "
            "`yesterday`."
        ),
        "sparring.logged": (
            "✅ Recorded: {minutes} of sparring{receivers} on {day}{note}.\n"
            "Your sparring {period}: {progress}"
        ),
        "sparring.logged.receivers": " with {users}",
        "sparring.logged.note": " — “{note}”",
        "sparring.progress.reached": "{given_minutes} of {target_minutes} — target reached",
        "sparring.progress.missing": (
            "{given_minutes} of {target_minutes} — {missing_minutes} to go."
        ),
        "sparring.status.header": "*Your sparring {period}* ({start} – {end})",
        "sparring.status.entry": "• {day}: {minutes}{receivers}{note}",
        "sparring.status.none": "You have not logged any sparring in this period yet.",
        "sparring.status.more": "… and {count:# earlier entry|# earlier entries}.",
        "sparring.status.given": "Given in total: {progress}",
        "sparring.status.received": "Received from others: {minutes} ({people})",
        "sparring.status.received_none": "Received from others: none yet.",
        "sparring.status.received_item": "{user} {minutes}",
        "sparring.status.hint": "Log more with e.g. `/sparring logged 1h with @anna`.",
        "sparring.undo.done": (
            "↩️ Removed: {minutes} of sparring{receivers} on {day}{note}.\n"
            "Your sparring {period}: {progress}"
        ),
        "sparring.undo.nothing": "You have no logged sparring to remove.",
        "sparring.error.unknown_subcommand": "I don't know `/sparring {word}`.",
        "sparring.modal.title": "Log sparring",
        "sparring.modal.duration": "How long?",
        "sparring.modal.duration_hint": "E.g. 2h, 1.5h, 90 min or 1h30m",
        "sparring.modal.date": "When?",
        "sparring.modal.receivers": "With whom?",
        "sparring.modal.note": "Note (optional)",
        "between.button.sparring": "Log sparring",
        "sparring.error.missing_duration": (
            "Say how long you gave sparring, e.g. `/sparring logged 2h with @anna`."
        ),
        "sparring.error.bad_duration": (
            "I did not understand the duration “{value}”. Write it as e.g. `2h`, `1.5h`, "
            "`90 min` or `1h30m`: `/sparring logged 1h30m with @anna`."
        ),
        "sparring.error.not_positive": (
            "The duration must be more than 0, e.g. `/sparring logged 30 min with @anna`."
        ),
        "sparring.error.too_long": (
            "{minutes} is more than 12 hours in one entry. Log each day on its own, "
            "e.g. `/sparring logged 3h with @anna on {example_iso}`."
        ),
        "sparring.error.bad_date": (
            "I did not understand the date “{value}”. Write it as e.g. `{example_iso}`, "
            "`{example_day_month}`, `{example_dotted}`, `today` or `yesterday`."
        ),
        "sparring.error.future_date": (
            "{day} is in the future. Log sparring once it has been given, e.g. with `today` "
            "or `yesterday`."
        ),
        "sparring.error.outside_season": (
            "{day} is outside the network's season ({start} – {end}). "
            "Use a date in the season, e.g. `on {start_iso}`."
        ),
        "sparring.error.self_receiver": (
            "You cannot log sparring with yourself. Mention the person you gave sparring to, "
            "e.g. `/sparring logged 2h with @anna`."
        ),
        "sparring.error.not_members": (
            "{users} is not a member of your network. Sparring is logged with members, "
            "e.g. `/sparring logged 2h with @anna`."
        ),
        "sparring.error.unresolved_name": (
            "I cannot tell who “{value}” is. Pick the person from the list that appears when "
            "you type @, so Slack turns the name into a link."
        ),
        "sparring.error.note_too_long": (
            "The note is too long ({length} characters; at most {limit}). Please shorten it."
        ),
        "sparring.error.empty_with": (
            "After “{value}”, say whom you gave sparring to, e.g. `with @anna`."
        ),
    },
}


def language(lang: str | None) -> str:
    return lang if lang in MESSAGES else DEFAULT_LANGUAGE


def locale_of(lang: str | None) -> str:
    return LOCALES[language(lang)]


def format_number(lang: str, number: int | float) -> str:
    """ "2.460.000" / "2,460,000"."""
    if isinstance(number, int) and -1000 < number < 1000:
        return str(number)  # no separators to place: spare Babel the work (it adds up)
    return format_decimal(number, locale=locale_of(lang))


def format_money(lang: str, kroner: int) -> str:
    """Danish kroner without øre: "2.460.000 kr." / "DKK 2,460,000"."""
    pattern = "#,##0 ¤" if language(lang) == "da" else "¤ #,##0"
    return format_currency(
        kroner, "DKK", format=pattern, currency_digits=False, locale=locale_of(lang)
    )


@functools.cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def plural(lang: str, count: int, forms: str) -> str:
    """`forms` is "one|other" (`#` stands for the number), chosen by the language's rules."""
    one, _, other = forms.partition("|")
    form = _locale(locale_of(lang)).plural_form(count)
    chosen = one if form == "one" or not other else other
    return chosen.replace("#", format_number(lang, count))


def format_minutes(lang: str, minutes: int) -> str:
    """A duration for people: "2 t", "1 t 30 min", "45 min" (Danish) / "2 h", "45 min"."""
    lang = language(lang)
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    h, m = MESSAGES[lang]["unit.hours"], MESSAGES[lang]["unit.minutes"]
    hours_text, rest_text = format_number(lang, hours), format_number(lang, rest)
    if hours and rest:
        return f"{sign}{hours_text} {h} {rest_text} {m}"
    if hours:
        return f"{sign}{hours_text} {h}"
    return f"{sign}{rest_text} {m}"


def format_date(lang: str, day: date, *, short: bool = False) -> str:
    """ "2. oktober 2015" / "2 October 2015"; short: "2. okt." / "2 Oct"."""
    return _format_date(locale_of(lang), day, short)


@functools.lru_cache(maxsize=4096)
def _format_date(locale: str, day: date, short: bool) -> str:
    # Summaries and lists repeat the same few dates many times; Babel is slow-ish per call.
    if short:
        return format_skeleton("dMMM", day, locale=locale)
    return babel_format_date(day, "long", locale=locale)


def format_weekday(lang: str, day: date) -> str:
    """ "fredag den 6. november" / "Friday 6 November"."""
    pattern = "EEEE 'den' d. MMMM" if language(lang) == "da" else "EEEE d MMMM"
    return babel_format_date(day, pattern, locale=locale_of(lang))


def relative_day(lang: str, days: int, *, capital: bool = False) -> str:
    """When something is, counted in the member's calendar days from the moment of sending:
    "i dag", "i morgen", "om 3 dage" / "today", "tomorrow", "in 3 days"."""
    if days <= 0:
        text = t(lang, "when.today")
    elif days == 1:
        text = t(lang, "when.tomorrow")
    else:
        text = t(lang, "when.in_days", days=days)
    return text[:1].upper() + text[1:] if capital else text


def example_dates(today: date) -> dict[str, str]:
    """Dates for the examples in help and hints, from this season rather than a fixed year: a
    recent past day (for sparring) and a day some weeks ahead (for moving a meeting)."""
    past = today - timedelta(days=3)
    ahead = today + timedelta(days=28)
    return {
        "example_iso": past.isoformat(),
        "example_day_month": f"{past.day}/{past.month}",
        "example_dotted": f"{past.day}.{past.month}.{past.year}",
        "example_ahead_iso": ahead.isoformat(),
    }


class Mrkdwn(str):
    """Text that is safe to send as Slack mrkdwn: the catalogue's own texts with their
    parameters escaped, escaped member text, and mentions the bot resolved itself."""

    __slots__ = ()


SLACK_USER_ID_RE = re.compile(r"[UW][A-Z0-9]+")
_USER_MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def escape(text: str, *, mentions: Iterable[str] = ()) -> Mrkdwn:
    """`text` as mrkdwn that shows exactly what was typed: `&`, `<` and `>` escaped, so no
    link, @channel or user group comes alive. Only `<@U…>` mentions of the `mentions` given
    (people the bot resolved itself) stay live."""
    if isinstance(text, Mrkdwn):
        return text
    allowed = set(mentions)
    out, last = [], 0
    for m in _USER_MENTION_RE.finditer(text) if allowed else ():
        if m["id"] in allowed:
            out.append(_escape_all(text[last : m.start()]))
            out.append(f"<@{m['id']}>")
            last = m.end()
    out.append(_escape_all(text[last:]))
    return Mrkdwn("".join(out))


def _escape_all(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(text: str) -> str:
    """What mrkdwn from `t()` reads as in a plain_text field (a label, an option, a form
    error): the escapes undone, as Slack shows plain_text as it is."""
    if not isinstance(text, Mrkdwn):
        return text
    return str.__str__(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def markup_join(separator: str, parts: Iterable[str]) -> Mrkdwn:
    """Join texts that are each mrkdwn already (catalogue texts, escaped text)."""
    return Mrkdwn(separator.join(escape(p) for p in parts))


def mention(slack_user_id: str | None) -> Mrkdwn:
    """A live mention of a Slack user the bot knows (never built from typed text)."""
    if slack_user_id is None:  # a person not on Slack
        return Mrkdwn("")
    if not SLACK_USER_ID_RE.fullmatch(slack_user_id):
        return escape(slack_user_id)
    return Mrkdwn(f"<@{slack_user_id}>")


def person_mention(lang: str, slack_user_id: str | None) -> Mrkdwn:
    """A member as a Slack mention; an erased member as the words "an erased member"."""
    if slack_user_id is not None and slack_user_id.startswith(FORGOTTEN_PREFIX):
        return t(lang, "network.forget.erased_person")
    return mention(slack_user_id)


def format_list(lang: str, items: list[str]) -> Mrkdwn:
    """ "a", "a og b", "a, b og c" in the language (items are escaped unless mrkdwn)."""
    if not items:
        return Mrkdwn("")
    return Mrkdwn(babel_format_list([escape(i) for i in items], locale=locale_of(lang)))


class _Count(int):
    """An integer parameter: plain as `{n}`, in the plural form as `{n:# dag|# dage}`."""

    lang: str

    def __format__(self, spec: str) -> str:
        if "|" in spec or "#" in spec:
            return plural(self.lang, int(self), spec)
        return format(int(self), spec)


def _count(lang: str, value: int) -> _Count:
    count = _Count(value)
    count.lang = lang
    return count


def _render(lang: str, name: str, value: Any) -> Any:
    if isinstance(value, Mrkdwn):
        return value
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, date):
        return format_date(lang, value)
    if isinstance(value, list):
        return format_list(lang, [mention(v) for v in value])
    if name.endswith("minutes") and isinstance(value, int):
        return format_minutes(lang, value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _count(lang, value)
    return value


def t(lang: str | None, key: str, **params: Any) -> Mrkdwn:
    """The catalogue text for `key` in `lang` (Danish when unknown), with `params` filled in
    (and escaped: see the module's docstring). A `today` parameter (a date) provides the
    `example_*` dates of help texts and hints."""
    lang = language(lang)
    template = MESSAGES[lang][key]
    today = params.pop("today", None)
    if isinstance(today, date):  # help and hints show dates of this season
        params = {**example_dates(today), **params}
    return Mrkdwn(template.format(**{name: _render(lang, name, v) for name, v in params.items()}))
