"""The built-in site texts in French and Spanish: shown while the English text is still version 1."""
from __future__ import annotations

TERMS_FR = """\
Ces conditions s’appliquent à chaque photo, vidéo et fichier audio de cette photothèque.

## Ce que vous pouvez faire

- Utiliser le matériel **gratuitement** pour informer sur les questions humanitaires et
  migratoires, les documenter ou y sensibiliser, dans l’information, l’éducation et les
  publications non commerciales.
- Recadrer ou redimensionner le matériel, à condition de ne pas changer le sens du contenu.

## Ce que vous devez faire

- Créditer chaque élément exactement comme indiqué sur sa page (par exemple *© Example Relief Agency / A. Photographer*).
- Garder une légende exacte : ne placez pas les personnes dans un contexte qui les dénature.
- Respecter la dignité et la sécurité des personnes montrées. Le matériel marqué **sensible**
  peut demander une autorisation avant téléchargement.

## Ce que vous ne pouvez pas faire

- Vendre le matériel, ou l’utiliser dans la publicité, des campagnes politiques ou des collectes
  de fonds pour d’autres organisations.
- Modifier le contenu avec des filtres, des montages ou des outils génératifs.
- Identifier des enfants ou des victimes de traite ou de violences au-delà de ce que dit la légende.

## Questions

Écrivez à l’équipe médias avant de publier si vous n’êtes pas sûr qu’un usage soit autorisé.
La photothèque peut retirer tout élément à tout moment ; veuillez retirer le matériel retiré de vos
prochains usages.
"""

TERMS_ES = """\
Estas condiciones se aplican a cada foto, vídeo y archivo de audio de esta fototeca.

## Lo que puede hacer

- Usar el material **de forma gratuita** para informar sobre cuestiones humanitarias y
  migratorias, documentarlas o sensibilizar sobre ellas, en noticias, educación y publicaciones
  sin fines comerciales.
- Recortar o redimensionar el material, siempre que no cambie el sentido del contenido.

## Lo que debe hacer

- Citar el crédito de cada elemento exactamente como figura en su página (por ejemplo *© Example Relief Agency / A. Photographer*).
- Mantener un pie de foto fiel: no sitúe a las personas en un contexto que las tergiverse.
- Respetar la dignidad y la seguridad de las personas que aparecen. El material marcado como
  **delicado** puede requerir una autorización antes de descargarlo.

## Lo que no puede hacer

- Vender el material o usarlo en publicidad, campañas políticas o recaudación de fondos para
  otras organizaciones.
- Alterar el contenido con filtros, montajes o herramientas generativas.
- Identificar a niños o a sobrevivientes de trata o de violencia más allá de lo que dice el pie de foto.

## Preguntas

Escriba al equipo de medios antes de publicar si no está seguro de que un uso esté permitido.
La fototeca puede retirar cualquier elemento en cualquier momento; retire el material retirado de
sus usos futuros.
"""

ABOUT_FR = """\
Voici la photothèque (photo, vidéo et audio) de l’organisation : des images de son travail et des
personnes avec qui elle travaille, pour les journalistes, les partenaires et le public.

Parcourez les dernières galeries, la sélection de la rédaction, les catégories et les pays, ou
cherchez dans les légendes. Les utilisateurs inscrits téléchargent des versions redimensionnées
et les originaux, avec le crédit et la légende dans le fichier.
"""

ABOUT_ES = """\
Esta es la fototeca (foto, vídeo y audio) de la organización: imágenes de su trabajo y de las
personas con las que trabaja, para periodistas, socios y el público.

Explore las últimas galerías, la selección de la redacción, las categorías y los países, o busque
en los pies de foto. Los usuarios registrados descargan versiones redimensionadas y originales,
con el crédito y el pie de foto dentro del archivo.
"""

HELP_FR = """\
## Trouver du matériel

- La **recherche** parcourt les titres, légendes, mots-clés, lieux et crédits ; les accents sont
  facultatifs (*Chisinau* trouve *Chișinău*). Mettez des mots entre guillemets pour une
  expression, et affinez les résultats avec les filtres à côté.
- **Parcourez** par catégorie, par pays, ou toutes les photos, vidéos et sons de toutes les galeries.

## Utiliser le matériel

- Copiez le crédit ou toute la ligne de légende avec les boutons de la page de chaque élément.
- Les utilisateurs inscrits téléchargent les éléments en versions redimensionnées ou en original,
  et des galeries entières en zip avec un `captions.csv`. Certains éléments demandent d’abord une
  autorisation.
- Lisez les conditions d’utilisation avant de publier quoi que ce soit.
"""

HELP_ES = """\
## Encontrar material

- La **búsqueda** recorre títulos, pies de foto, palabras clave, lugares y créditos; los acentos
  son opcionales (*Chisinau* encuentra *Chișinău*). Ponga las palabras entre comillas para buscar
  una frase y acote los resultados con los filtros de al lado.
- **Explore** por categoría, por país, o todas las fotos, vídeos y audios de todas las galerías.

## Usar el material

- Copie el crédito o la línea completa del pie de foto con los botones de la página de cada elemento.
- Los usuarios registrados descargan los elementos en versiones redimensionadas o en original, y
  galerías enteras en un zip con un `captions.csv`. Algunos elementos requieren antes una
  autorización.
- Lea las condiciones de uso antes de publicar nada.
"""

# language: {key: (title, body)}
BUILT_IN = {
    "fr": {"terms": ("Conditions d’utilisation", TERMS_FR), "about": ("À propos", ABOUT_FR),
           "help": ("Aide", HELP_FR)},
    "es": {"terms": ("Condiciones de uso", TERMS_ES), "about": ("Acerca de", ABOUT_ES),
           "help": ("Ayuda", HELP_ES)},
}
