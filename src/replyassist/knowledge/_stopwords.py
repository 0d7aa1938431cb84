"""Stopwords per language (ISO 639-1), kept short on purpose.

The lists hold function words plus the fillers customers put in support messages ("hi",
"please", "thanks"): words that say nothing about *what* is asked. Most lists are compared
after case and accent folding, so each word is written once, without accents.
"""

from __future__ import annotations

_RAW: dict[str, str] = {
    "en": """
        a about above after again against all also am an and any are aren as at be because been before
        being below between both but by can cannot could couldn did didn do does doesn doing don down
        during each else ever few for from further had hadn has hasn have haven having he her here hers
        herself him himself his how however i if in into is isn it its itself just let ll me might more
        most must mustn my myself no nor not now of off on once only or other ought our ours ourselves
        out over own re same shall shan she should shouldn so some such than that the their theirs them
        themselves then there these they this those through to too under until up upon us ve very was
        wasn we were weren what when where which while who whom why will with won would wouldn yet you
        your yours yourself yourselves
        hi hello hey dear please pls plz thank thanks thx ty ok okay yes yeah hmm oh wanna gonna gotta
        want need like know tell help anyone someone something really still already
        guys guy folks u ur im ive id dont cant wont didnt doesnt isnt thing things stuff lol omg btw
        even anyway actually basically literally honestly maybe probably kind sort
    """,
    "es": """
        a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada como con contra cual
        cuales cuando de del desde donde dos el ella ellas ello ellos en entre era eramos eran eres es esa
        esas ese eso esos esta estaba estado estais estamos estan estar estas este esto estos estoy fue fueron
        fui ha habia han has hasta hay he la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros
        o os otra otro para pero poco por porque que quien se sea ser si sin sobre son su sus tambien te
        tengo tiene tienen todo todos tu tus un una uno unos usted ustedes vosotros y ya yo
        hola gracias favor porfa ok vale quiero quisiera necesito puedo puede podria saber ayuda
    """,
    "fr": """
        a ai aie alors au aucun aussi autre aux avec avoir bon car ce cela ces cet cette ceux chaque ci comme
        comment dans de des du donc elle elles en encore est et etait ete etre eu fait faire ici il ils je
        juste la le les leur leurs lui ma mais me meme mes moi mon ne ni nos notre nous on ont ou par pas
        peu peut plus pour pourquoi qu quand que quel quelle quels qui sa sans se ses si son sont sur ta
        te tes toi ton tous tout tres tu un une vos votre vous y
        bonjour salut merci svp stp sil plait ok voudrais veux dois besoin aide savoir
    """,
    "de": """
        aber alle allem allen aller alles als also am an ander andere auch auf aus bei bin bis bist da damit
        dann das dass dein deine dem den der des dich die dir doch dort du durch ein eine einem einen einer
        eines er es etwas euch euer fur hab habe haben hat hatte hier hin ich ihm ihn ihnen ihr ihre im in
        ist ja jede jetzt kann kein keine konnen man mein meine meinem meinen meiner meines mich mir mit muss nach nicht nichts noch nun
        nur ob oder ohne sehr sein seine sich sie sind so soll uber um und uns unser unter vom von vor
        wann war waren warum was weil welche wenn wer wie wieder will wir wird wo zu zum zur
        hallo hi danke bitte ok mochte brauche hilfe wissen
    """,
    "pt": """
        a ao aos as ate com como da das de dela dele deles do dos e ela elas ele eles em entre era essa
        esse esta estao estava este eu foi for foram ha isso isto ja la lhe mais mas me mesmo meu meus minha
        minhas muito na nao nas nem no nos nossa nosso num numa o os ou para pela pelas pelo pelos por porque
        qual quando que quem se sem ser seu seus sua suas so tambem te tem tenho ter teu tu um uma voce
        voces vos
        ola oi obrigado obrigada favor ok quero queria preciso posso pode ajuda saber
    """,
    "it": """
        a ad al alla alle allo agli ai anche avere c che chi ci come con cosa da dal dalla dei del della
        delle dello di dove e ed era erano essere gli ha hanno ho i il in io la le lei li lo loro lui ma
        me mi mia mio molto ne nei nel nella noi non nostro o per perche piu piu poi qua quale quando
        quello questa questo se sei si sia sono su sua suo sul sulla ti tra tu tua tuo un una uno vi voi
        ciao buongiorno grazie favore ok voglio vorrei devo posso puo aiuto sapere
    """,
    "nl": """
        aan al alles als ben bij dan dat de der deze die dit doch door dus een en er had heb hebben heeft
        hem het hier hij hoe hun wanneer ik in is ja je jij jou jouw kan kon maar me meer men met mij mijn na naar
        niet niets nog nu of om omdat ons onze ook op over te tegen toch tot u uit uw van veel voor want
        waren was wat we wel wie wij wil worden wordt zal ze zelf zich zij zijn zo zou
        hallo hoi dank bedankt alsjeblieft alstublieft graag ok wil wilde moet hulp weten
    """,
    "pl": """
        a aby ale bo by byc byl byla bylo byly chce chcialbym co czy dla do dlaczego gdy gdzie go i ich
        ja jak jaki jako je jego jej jest jestem jeszcze juz ktora ktore ktory ma mam mi mnie moge moj moja
        moje mozna na nad nam nas nie nic niz no o od oraz po pod przez przy sa sie sobie tak takze tam
        te tego tej ten to tu ty w we wiec z za ze
        dzien dobry czesc dziekuje prosze ok potrzebuje pomoc wiedziec
    """,
    "id": """
        ada adalah agar akan aku anda apa apakah atau bagaimana bagi bahwa belum bisa dalam dan dari dengan
        di dia hanya harus ini itu jika juga kami kamu karena ke kenapa ketika kita lagi mana masih mau
        mereka oleh pada para saat saja saya sedang sudah telah tentang tetapi untuk yang
        halo hai terima kasih tolong mohon ok ingin perlu bantuan tahu
    """,
    "sv": """
        att av de dem den denna det detta du eller en ett for fran har hon hur i jag kan man med mig min
        mitt men nar och om pa sa som till under var vi vad varfor ar
        hej tack snalla ok vill behover hjalp
    """,
    "da": """
        af alle at da de dem den denne der det du eller en er et for fra har hun hvad hvis hvor hvordan i
        ikke jeg kan man med men mig min mit na nar og om pa sa som til var vi
        hej tak venligst ok vil brug hjaelp
    """,
    "no": """
        av alle at da de dem den denne der det du eller en er et for fra har hun hva hvis hvor hvordan i
        ikke jeg kan man med men meg min mitt na nar og om pa sa som til var vi
        hei takk vennligst ok vil trenger hjelp
    """,
    "ro": """
        a acest acesta ai al ale am ar are as au ca care ce cu da de din dar este eu fi in la le lor mai
        ma mea meu mi ne nu o pe pentru sa se si sunt tu un una va
        buna multumesc va rog ok vreau am nevoie ajutor
    """,
    "tr": """
        acaba ama ancak bana beni bir biz bu da daha de diye en gibi hem hic icin ile ise kadar ki mi mu
        ne neden nasil o olan olarak sen siz su ve veya ya
        merhaba tesekkur tesekkurler lutfen ok istiyorum yardim
    """,
    "ru": """
        а без бы был была были было быть в вам вас во вот все всё вы где да даже для до его ее её если
        есть еще ещё же за и из или им их к как ко когда кто ли между меня мне мой может мы на над нам
        нас не него нее неё нет ни них но о об однако он она они оно от по под при с со так также там
        то того тоже только том ты у уже хотя чем что чтобы эта эти это я
        здравствуйте привет спасибо пожалуйста хочу помогите
    """,
}

# Vietnamese is matched before accent folding: folded, "tại" (at) would also drop "tài" (as in
# "tài khoản", account) and "bạn" (you) would drop "bán" (sell). Unaccented forms that are not
# ambiguous are listed too, since many people type Vietnamese without accents.
_RAW_EXACT: dict[str, str] = {
    "vi": """
        à ạ ai anh bạn bị các cái cần cho chị chưa có của đã đang để đến đi đó được gì giúp hả hay hoặc
        khi không là làm lên lúc mà mình mọi một nào nếu nhé như những nơi nữa ở ơi ra rồi sao sẽ tại thế
        thì tôi trong từ và vẫn vào vậy vì với xin chào cảm ơn vui lòng muốn biết em
        toi muon khong duoc cua nhung voi vao chua xin chao vui long giup nhe thi va
    """,
}


def raw_stopwords(language: str) -> tuple[frozenset[str], frozenset[str]]:
    """The stopwords of ``language``: (words to match after folding, words to match as written)."""
    folded = frozenset(_RAW.get(language, "").split())
    exact = frozenset(_RAW_EXACT.get(language, "").split())
    return folded, exact
