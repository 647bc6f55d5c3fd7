"""Function words, greetings and sign-offs that never count as cues on their own (da, sv, nb, en).

They still count as features; they are left out of the highlighted cues, where a lead or
agent looks for the words that carry what the customer wants, and out of the evidence
that decides whether a text says enough to tell (a bare "Tack!" or "Mvh Jens" does not).
"""

from typing import Final

STOPWORDS: Final = frozenset(
    """
    a an the and or but if of to in on at by for from with about as into than then so
    is are was were be been being am do does did have has had having i me my mine we us our
    you your yours he him his she her it its they them their this that these those there
    here what which who whom not no yes just very too also can could would should will
    shall may might must all any some one two get got im ive its dont
    ok okay okej oki hi hey hello hej hallo hei http https www com dk se no org net html
    og eller men hvis af til i på ved for fra med om som end så er var være været har
    havde jeg mig min mit mine vi os vores du dig din dit dine han ham hans hun hende den
    det de dem deres denne dette disse der her hvad hvilken hvem ikke nej ja bare meget også
    kan kunne ville skulle vil skal må en et to at
    och eller men om av till i på vid för från med som än så är var vara varit har hade
    jag mig min mitt mina vi oss vår vårt våra du dig din ditt dina han honom hans hon henne
    den det de dem deras denna detta dessa där här vad vilken vem inte nej ja bara mycket
    också kan kunde skulle vill ska måste en ett två att
    og eller men hvis av til i på ved for fra med om som enn så er var være vært har hadde
    jeg meg min mitt mine vi oss vår vårt våre du deg din ditt dine han ham hans hun henne
    den det de dem deres denne dette disse der her hva hvilken hvem ikke nei ja bare mye også
    kan kunne ville skulle vil skal må en et to å
    når nogen noget man sig sin sit hos jo lige någon något sitt ju
    thanks thank thx tak tack takk mvh vh hilsen hilsner hälsningar regards dear kære kæreste
    bästa venlig venlige vänlig vänliga co
    """.split()
)

# Weekdays and months (with the Danish and Swedish "i fredags" forms) carry when, not what
# the customer wants: never highlighted as cues (they still count as features).
CALENDAR: Final = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december
    mandag tirsdag onsdag torsdag fredag lørdag søndag mandags tirsdags onsdags torsdags
    fredags lørdags søndags januar februar marts april maj juni juli august september
    oktober november december mai mars desember
    måndag tisdag lördag söndag måndags tisdags lördags söndags januari februari augusti
    """.split()
)
