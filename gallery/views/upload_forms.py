"""Forms of the upload pages (Flask-WTF: every form carries a CSRF token)."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from gallery.extensions import db
from gallery.i18n.locale import LANGUAGES
from gallery.i18n.names import category_name, country_name, sorted_by_name
from gallery.models import Category, Country
from gallery.services import translations


class NewGalleryForm(FlaskForm):
    """A gallery with the batch metadata its files inherit."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    category = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    country = SelectField(_l("Country"), validators=[Optional()])
    credit = StringField(_l("Credit"), validators=[Length(max=300)],
                         description=_l("Used for files whose metadata carries no credit."))
    date = DateField(_l("Date"), validators=[Optional()])
    language = SelectField(_l("Original language"), default=translations.catalogue_language,
                           choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
                           description=_l("The language the title, description and captions are written in."))
    status = SelectField(_l("Status"), choices=[SelectChoice("draft", _l("Draft (staff only)")),
                                            SelectChoice("published", _l("Published"))], default="draft")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice(c.id, category_name(c)) for c in db.session.scalars(
            select(Category).order_by(Category.position, Category.name))]
        self.country.choices = [SelectChoice("", gettext("Several or none"))] + [
            SelectChoice(c.alpha3, country_name(c))
            for c in sorted_by_name(db.session.scalars(select(Country)))]
