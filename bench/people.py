"""A generated population of suspects as officers along the chain would record them, with the
truth kept aside (issue 18): one person written in Han, pinyin, Vietnamese or Lao, names in
either order, with or without diacritics, phones in local and international formats, plates
with and without separators, typos; and the hard negatives: different people with one common
name, homophones (王伟 / 汪伟 / 王薇), Hùng and Hưng, fathers and sons with one name and one
phone, a phone shared by two people, plates one character apart.

Written independently of the resolver: its readings of Han names (pinyin, Sino-Vietnamese)
and its Lao spellings are typed here by hand, never computed by server/intel/names.py.
Deterministic for a seed. Invented people only; phone numbers from unassigned ranges."""
import random
from dataclasses import dataclass, field

# Han surnames and given-name characters with their pinyin and Sino-Vietnamese readings.
SURNAMES = [("王", "Wang", "Vương"), ("李", "Li", "Lý"), ("张", "Zhang", "Trương"), ("刘", "Liu", "Lưu"),
            ("陈", "Chen", "Trần"), ("杨", "Yang", "Dương"), ("黄", "Huang", "Hoàng"), ("赵", "Zhao", "Triệu"),
            ("吴", "Wu", "Ngô"), ("徐", "Xu", "Từ"), ("孙", "Sun", "Tôn"), ("马", "Ma", "Mã"),
            ("胡", "Hu", "Hồ"), ("郭", "Guo", "Quách"), ("何", "He", "Hà"), ("林", "Lin", "Lâm"),
            ("高", "Gao", "Cao"), ("梁", "Liang", "Lương"), ("宋", "Song", "Tống"), ("邓", "Deng", "Đặng")]
GIVEN = [("伟", "wei", "Vĩ"), ("芳", "fang", "Phương"), ("敏", "min", "Mẫn"), ("静", "jing", "Tĩnh"),
         ("强", "qiang", "Cường"), ("军", "jun", "Quân"), ("勇", "yong", "Dũng"), ("杰", "jie", "Kiệt"),
         ("明", "ming", "Minh"), ("平", "ping", "Bình"), ("建", "jian", "Kiến"), ("国", "guo", "Quốc"),
         ("华", "hua", "Hoa"), ("文", "wen", "Văn"), ("德", "de", "Đức"), ("海", "hai", "Hải"),
         ("东", "dong", "Đông"), ("成", "cheng", "Thành"), ("光", "guang", "Quang"), ("志", "zhi", "Chí"),
         ("春", "chun", "Xuân"), ("安", "an", "An"), ("英", "ying", "Anh"), ("龙", "long", "Long")]
# Vietnamese family, middle and given names, written in full.
VN_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
VN_MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quốc", "Ngọc", "Xuân", "Công"]
VN_GIVEN = ["Hùng", "Hưng", "Lan", "Mai", "Nam", "Tuấn", "Dũng", "Hải", "Long", "Phương", "Thảo", "Trang", "Sơn",
            "Quang", "Khánh", "Vinh", "Bình", "Hà", "Linh", "Tâm", "Thắng", "Cường", "Hiếu", "Nhung"]
# Lao given and family names with the French-style spelling a Vietnamese or Chinese officer copies
# from an ID card.
LAO_GIVEN = [("ສົມພອນ", "Somphone"), ("ວັນທອງ", "Vanthong"), ("ບຸນມີ", "Bounmy"), ("ສົມສັກ", "Somsak"),
             ("ບຸນທັນ", "Bounthan"), ("ພູມີ", "Phoumy"), ("ທອງດີ", "Thongdy"), ("ຄຳພອນ", "Khamphone"),
             ("ສີສະຫວາດ", "Sisavath"), ("ບົວລະພາ", "Bouaphaph")]
LAO_FAMILY = [("ແກ້ວມະນີ", "Keomany"), ("ສີສຸວັນ", "Sisouvanh"), ("ພົມມະວົງ", "Phommavong"),
              ("ວົງສະຫວັນ", "Vongsavanh"), ("ຈັນທະລາ", "Chanthala"), ("ອິນທະວົງ", "Inthavong"),
              ("ສີຫາລາດ", "Sihalath"), ("ດວງດີ", "Douangdy")]
# Unassigned ranges, as the demo directory's (server/demo/directory.csv): Viet Nam 0699, China
# 140, Lao PDR 038.
PHONE_PREFIX = {"VN": ("+84", "699"), "CN": ("+86", "1400"), "LA": ("+856", "38")}


@dataclass
class Mention:
    person: int
    group: str  # "plain", or the hard-negative subset it belongs to
    name: str
    name_latin: str | None = None
    nationality: str | None = None
    phone: str | None = None
    id_number: str | None = None
    plate: str | None = None


@dataclass
class Person:
    id: int
    country: str
    han: tuple | None = None  # (han, pinyin, viet)
    native: str = ""
    latin: str = ""
    phones: list = field(default_factory=list)
    id_number: str | None = None


class Population:
    def __init__(self, seed=7):
        self.rng = random.Random(seed)
        self.people, self.mentions = [], []
        self._phones = set()

    # -- people ----------------------------------------------------------------------------
    def _phone(self, country):
        code, prefix = PHONE_PREFIX[country]
        while True:
            number = f"{code}{prefix}{self.rng.randrange(10**6):06d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def _person(self, country, han=None, native=None, latin=None):
        person = Person(len(self.people), country)
        rng = self.rng
        if country == "CN":
            if han is None:
                surname, given = rng.choice(SURNAMES), rng.sample(GIVEN, rng.choice((1, 1, 2)))
                han = (surname[0] + "".join(g[0] for g in given), f"{surname[1]} {''.join(g[1] for g in given).title()}",
                       " ".join([surname[2]] + [g[2] for g in given]))
            person.han, person.native, person.latin = han, han[0], han[1]
        elif country == "VN":
            person.native = native or f"{rng.choice(VN_FAMILY)} {rng.choice(VN_MIDDLE)} {rng.choice(VN_GIVEN)}"
            person.latin = latin or person.native
        else:
            if native is None:
                given, family = rng.choice(LAO_GIVEN), rng.choice(LAO_FAMILY)
                native, latin = f"{given[0]} {family[0]}", f"{given[1]} {family[1]}"
            person.native, person.latin = native, latin
        person.phones = [self._phone(country)]
        person.id_number = f"DEMO{country}{person.id:07d}" if rng.random() < 0.5 else None
        self.people.append(person)
        return person

    # -- how an officer writes a person down ------------------------------------------------------
    def _local(self, number):
        """A number as written: bare E.164, spaced, or with the 00 international prefix."""
        code = next(code for code in ("+856", "+84", "+86") if number.startswith(code))
        rest, choice = number[len(code):], self.rng.random()
        if choice < 0.4:
            return number
        if choice < 0.7:
            return f"{code} {rest[:3]} {rest[3:6]} {rest[6:]}"
        return "00" + number[1:]

    def _typo(self, text):
        letters = [i for i, c in enumerate(text) if c.isalpha() and c.isascii()]
        if len(letters) < 6:
            return text
        i = self.rng.choice(letters[3:])
        return text[:i] + self.rng.choice("aeiounmhg") + text[i + 1:]

    def _written(self, person, group, strip=None):
        rng = self.rng
        nationality = person.country if rng.random() < 0.7 else None
        if group in ("homophone", "hung_hung"):
            # A hard negative is hard, not undecidable: here only the characters or the tone
            # marks tell the two apart, so they are written as Chinese and Vietnamese officers
            # write them (a pinyin "Wang Wei" on a family's shared phone could be anyone's).
            name, latin = (person.han[0] if person.han else person.native), None
        elif person.country == "CN":
            form = rng.random()
            if form < 0.45:
                name, latin = person.han[0], person.han[1] if rng.random() < 0.4 else None
            elif form < 0.75:
                surname, given = person.han[1].split(" ", 1)
                name, latin = (f"{given} {surname.upper()}" if rng.random() < 0.3 else person.han[1]), None
            else:
                name, latin = person.han[2], None  # as a Vietnamese officer hears it
        elif person.country == "VN":
            form = rng.random()
            name = person.native
            if form < 0.3:
                name = _fold(person.native)
            elif form < 0.4:
                parts = person.native.split()
                name = " ".join(parts[-1:] + parts[:-1])
            latin = _fold(person.native) if rng.random() < 0.3 else None
        else:
            if rng.random() < 0.5:
                name, latin = person.native, person.latin if rng.random() < 0.5 else None
            else:
                name, latin = person.latin, None
        if group == "typo" and rng.random() < 0.5:
            name = self._typo(_fold(name) if person.country != "CN" else person.han[1])
        phone = self._local(rng.choice(person.phones)) if rng.random() < (strip if strip is not None else 0.75) else None
        id_number = person.id_number if person.id_number and rng.random() < 0.6 else None
        return Mention(person.id, group, name, latin, nationality, phone, id_number)

    def _add(self, person, group, times=None, **options):
        for _ in range(times or self.rng.choice((1, 2, 2, 3, 4))):
            self.mentions.append(self._written(person, group, **options))

    # -- the population ---------------------------------------------------------------------------
    def build(self, mentions=20_000):
        rng = self.rng
        hard = max(1, mentions // 200)
        for _ in range(hard):  # several 王伟 and several Nguyễn Văn Hùng, strangers to each other
            self._add(self._person("CN", han=("王伟", "Wang Wei", "Vương Vĩ")), "common_name")
            self._add(self._person("VN", native="Nguyễn Văn Hùng"), "common_name")
        for _ in range(hard):  # homophones sharing a phone: a family's
            shared = self._phone("CN")
            for han in (("王伟", "Wang Wei", "Vương Vĩ"), ("汪伟", "Wang Wei", "Uông Vĩ"), ("王薇", "Wang Wei", "Vương Vi")):
                person = self._person("CN", han=han)
                person.phones = [shared]
                self._add(person, "homophone", times=2)
        for _ in range(hard):  # Hùng and Hưng, brothers with one phone
            shared = self._phone("VN")
            for given in ("Hùng", "Hưng"):
                person = self._person("VN", native=f"Trần Văn {given}")
                person.phones = [shared]
                self._add(person, "hung_hung", times=2, strip=1.0)
        for _ in range(hard):  # father and son, one name, one phone, their own ID cards
            shared, native = self._phone("VN"), f"{rng.choice(VN_FAMILY)} Văn {rng.choice(VN_GIVEN)}"
            for generation in (0, 1):
                person = self._person("VN", native=native)
                person.phones, person.id_number = [shared], f"DEMOVNF{person.id:07d}{generation}"
                for _ in range(2):
                    mention = self._written(person, "father_son", strip=1.0)
                    mention.id_number = person.id_number
                    self.mentions.append(mention)
        for _ in range(hard):  # a phone passed from one person to another at a border post
            shared, first = self._phone("LA"), None
            for _ in range(2):
                person = self._person("LA")
                while first is not None and person.native.split()[0] == first:  # two people, two names
                    self.people.pop()
                    person = self._person("LA")
                first = first or person.native.split()[0]
                person.phones = [shared]
                self._add(person, "shared_phone", times=2, strip=1.0)
        while len(self.mentions) < mentions:
            person = self._person(rng.choice(("CN", "VN", "LA")))
            self._add(person, "typo" if rng.random() < 0.1 else "plain")
        return self

    def vehicles(self, count=500):
        """Plates as written (with and without separators), and plates one character apart."""
        out = []
        for number in range(count):
            base = f"{self.rng.randrange(11, 99)}C{self.rng.randrange(10**5):05d}"
            written = [base, f"{base[:3]}-{base[3:6]}.{base[6:]}", f"{base[:3]} {base[3:]}"]
            out.extend((f"v{number}", self.rng.choice(written)) for _ in range(self.rng.choice((1, 2, 3))))
            twin = base[:-1] + str((int(base[-1]) + 1) % 10)
            out.append((f"v{number}twin", twin))
        return out


def _fold(text):
    import unicodedata

    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
