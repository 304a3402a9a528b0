"""Direct identifiers of synthetic residents (PHI in form, invented in content).

Derived from the person's index, so they cost no memory for millions of residents and the
same person always has the same name, phone and address.
"""

from __future__ import annotations

LAST_NAMES = (
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Vasiliev",
    "Petrov",
    "Sokolov",
    "Mikhailov",
    "Novikov",
    "Fedorov",
    "Morozov",
    "Volkov",
    "Alekseev",
    "Lebedev",
    "Semenov",
    "Egorov",
    "Pavlov",
    "Kozlov",
    "Stepanov",
    "Nikolaev",
    "Orlov",
    "Andreev",
)
MALE_NAMES = (
    "Aleksandr",
    "Dmitry",
    "Maksim",
    "Sergey",
    "Andrey",
    "Aleksey",
    "Artem",
    "Ilya",
    "Kirill",
    "Mikhail",
    "Nikita",
    "Roman",
    "Egor",
    "Ivan",
    "Pavel",
    "Oleg",
)
FEMALE_NAMES = (
    "Anastasia",
    "Maria",
    "Anna",
    "Elena",
    "Olga",
    "Natalia",
    "Ekaterina",
    "Tatiana",
    "Irina",
    "Svetlana",
    "Yulia",
    "Daria",
    "Polina",
    "Sofia",
    "Ksenia",
    "Vera",
)
PATRONYMIC_ROOTS = (
    "Aleksandrov",
    "Dmitriev",
    "Sergeev",
    "Andreev",
    "Ivanov",
    "Petrov",
    "Mikhailov",
    "Nikolaev",
    "Vladimirov",
    "Yurievi",
)
STREETS = (
    "Tverskaya ul.",
    "Leninsky pr.",
    "Profsoyuznaya ul.",
    "Mira pr.",
    "Arbat ul.",
    "Varshavskoe sh.",
    "Kutuzovsky pr.",
    "Lyublinskaya ul.",
    "Dmitrovskoe sh.",
    "Volgogradsky pr.",
    "Yaroslavskaya ul.",
    "Mosfilmovskaya ul.",
)


def full_name(person: int, sex: str) -> tuple[str, str, str]:
    """(last, first, middle) in the Russian form for the person's sex."""
    last = LAST_NAMES[(person * 7919) % len(LAST_NAMES)]
    root = PATRONYMIC_ROOTS[(person * 104729) % len(PATRONYMIC_ROOTS)]
    if sex == "female":
        return last + "a", FEMALE_NAMES[(person * 31) % len(FEMALE_NAMES)], root.rstrip("i") + "na"
    return last, MALE_NAMES[(person * 31) % len(MALE_NAMES)], root + "ich"


def phone(person: int) -> str:
    digits = f"{(person * 2654435761) % 10**9:09d}"
    return f"+79{digits[:2]}{digits[2:]}"


def policy_number(person: int) -> str:
    return f"77{(person * 6364136223846793005 + 1442695040888963407) % 10**14:014d}"


def address(person: int, okrug: str, moved: bool = False) -> str:
    salt = 977 if moved else 0
    street = STREETS[(person * 13 + salt) % len(STREETS)]
    return f"Moscow, {okrug}, {street} {1 + (person + salt) % 120}, apt {1 + (person * 7 + salt) % 300}"


def contact_name(contact: int) -> str:
    last = LAST_NAMES[(contact * 15485863) % len(LAST_NAMES)]
    return f"{MALE_NAMES[contact % len(MALE_NAMES)]} {last}"


def contact_phone(contact: int) -> str:
    return f"+79{(contact * 40503 + 12345) % 10**9:09d}"
